#!/usr/bin/env python3
"""Regenerate cipher-db/{suites,groups,sigschemes}.toml from the reference registries.

Usage: python3 cipher-db/tools/gen_db.py [SOURCES_DIR [OUT_DIR]]
(defaults: cipher-db/sources and cipher-db; tests/cipher_db.rs writes to a temporary OUT_DIR and
compares the result with the committed files byte for byte)

Inputs (provenance of each in cipher-db/sources/README.md): iana-tls-cipher-suites.csv, openssl-names.csv,
testssl-cipher-mapping.txt, iana-supported-groups.csv, testssl-curves-mapping.txt,
iana-signature-schemes.csv, tls12-legacy-signature-hash-pairs.csv.
Attributes are derived from the suite names (the IANA naming grammar), cross-checked
against OpenSSL's Kx/Au/Enc/Mac columns; the script stops on any name it cannot parse.
"""
import csv
import os
import re
import sys

REF = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sources")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

VERSIONS = ["SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]

# ---------------------------------------------------------------- suites

def code_of(v):
    a, b = v.split(",")
    return (int(a, 16) << 8) | int(b, 16)

iana_rows = list(csv.DictReader(open(os.path.join(REF, "iana-tls-cipher-suites.csv"))))
ossl_rows = {code_of(r["value"]): r for r in csv.DictReader(open(os.path.join(REF, "openssl-names.csv")))}

testssl = {}
ssl2 = []
for line in open(os.path.join(REF, "testssl-cipher-mapping.txt")):
    parts = line.split()
    if not parts:
        continue
    hexs = parts[0].split(",")
    rest = parts[2:]
    name_ossl, name_std, proto = rest[0], rest[1], rest[2]
    kv = {p.split("=", 1)[0]: p.split("=", 1)[1] for p in rest[3:] if "=" in p}
    export = "export" in rest
    if len(hexs) == 3:
        ssl2.append((int("".join(h[2:] for h in hexs), 16), name_ossl, name_std, kv, export))
    else:
        testssl[code_of(parts[0])] = (name_ossl, name_std, proto, kv, export)

TLS13_CODES = {0x1301, 0x1302, 0x1303, 0x1304, 0x1305, 0x1306, 0x1307, 0x00C6, 0x00C7,
               0xC0B4, 0xC0B5, 0xC103, 0xC104, 0xC105, 0xC106}
BOTH_12_13 = {0xC0B0, 0xC0B1, 0xC0B2, 0xC0B3}  # ECCPWD, RFC 8492 defines TLS 1.2 and 1.3 use

KXAU = {
    "NULL": ("NULL", "NULL", False),
    "RSA": ("RSA", "RSA", False), "RSA_EXPORT": ("RSA", "RSA", True), "RSA_EXPORT1024": ("RSA", "RSA", True),
    "RSA_FIPS": ("RSA", "RSA", False),
    "DH_DSS": ("DH", "DSS", False), "DH_RSA": ("DH", "RSA", False),
    "DH_DSS_EXPORT": ("DH", "DSS", True), "DH_RSA_EXPORT": ("DH", "RSA", True),
    "DHE_DSS": ("DHE", "DSS", False), "DHE_RSA": ("DHE", "RSA", False),
    "DHE_DSS_EXPORT": ("DHE", "DSS", True), "DHE_RSA_EXPORT": ("DHE", "RSA", True),
    "DHE_DSS_EXPORT1024": ("DHE", "DSS", True),
    "DH_anon": ("DH_anon", "anon", False), "DH_anon_EXPORT": ("DH_anon", "anon", True),
    "ECDH_ECDSA": ("ECDH", "ECDSA", False), "ECDH_RSA": ("ECDH", "RSA", False),
    "ECDHE_ECDSA": ("ECDHE", "ECDSA", False), "ECDHE_RSA": ("ECDHE", "RSA", False),
    "ECDH_anon": ("ECDH_anon", "anon", False),
    "PSK": ("PSK", "PSK", False), "DHE_PSK": ("DHE_PSK", "PSK", False), "PSK_DHE": ("DHE_PSK", "PSK", False),
    "RSA_PSK": ("RSA_PSK", "RSA", False), "ECDHE_PSK": ("ECDHE_PSK", "PSK", False),
    "KRB5": ("KRB5", "KRB5", False), "KRB5_EXPORT": ("KRB5", "KRB5", True),
    "SRP_SHA": ("SRP", "SRP", False), "SRP_SHA_RSA": ("SRP", "RSA", False), "SRP_SHA_DSS": ("SRP", "DSS", False),
    "ECCPWD": ("ECCPWD", "ECCPWD", False),
    "GOSTR341094": ("GOST", "GOST", False), "GOSTR341001": ("GOST", "GOST", False),
    "GOSTR341112_256": ("GOST", "GOST", False), "GOSTR341094_RSA": ("RSA", "RSA", False),
    "CECPQ1_RSA": ("CECPQ1", "RSA", False), "CECPQ1_ECDSA": ("CECPQ1", "ECDSA", False),
}

# (token, cipher, mode, key_bits, export-strength)
CIPHERS = [
    ("NULL", "NULL", "NONE", 0), ("RC4_40", "RC4", "STREAM", 40), ("RC4_56", "RC4", "STREAM", 56),
    ("RC4_128", "RC4", "STREAM", 128), ("RC2_CBC_40", "RC2", "CBC", 40), ("RC2_CBC_56", "RC2", "CBC", 56),
    ("RC2_56", "RC2", "CBC", 56),
    ("DES40_CBC", "DES", "CBC", 40), ("DES_CBC_40", "DES", "CBC", 40), ("DES_CBC", "DES", "CBC", 56),
    ("3DES_EDE_CBC", "3DES_EDE", "CBC", 168), ("IDEA_CBC", "IDEA", "CBC", 128), ("SEED_CBC", "SEED", "CBC", 128),
    ("AES_128_CBC", "AES", "CBC", 128), ("AES_256_CBC", "AES", "CBC", 256),
    ("AES_128_GCM", "AES", "GCM", 128), ("AES_256_GCM", "AES", "GCM", 256),
    ("AES_128_CCM_8", "AES", "CCM_8", 128), ("AES_256_CCM_8", "AES", "CCM_8", 256),
    ("AES_128_CCM", "AES", "CCM", 128), ("AES_256_CCM", "AES", "CCM", 256),
    ("CAMELLIA_128_CBC", "CAMELLIA", "CBC", 128), ("CAMELLIA_256_CBC", "CAMELLIA", "CBC", 256),
    ("CAMELLIA_128_GCM", "CAMELLIA", "GCM", 128), ("CAMELLIA_256_GCM", "CAMELLIA", "GCM", 256),
    ("ARIA_128_CBC", "ARIA", "CBC", 128), ("ARIA_256_CBC", "ARIA", "CBC", 256),
    ("ARIA_128_GCM", "ARIA", "GCM", 128), ("ARIA_256_GCM", "ARIA", "GCM", 256),
    ("CHACHA20_POLY1305", "CHACHA20_POLY1305", "AEAD", 256),
    ("28147_CNT", "GOST28147", "CNT", 256),
    ("KUZNYECHIK_CTR_OMAC", "KUZNYECHIK", "CTR_OMAC", 256), ("MAGMA_CTR_OMAC", "MAGMA", "CTR_OMAC", 256),
    ("KUZNYECHIK_MGM_L", "KUZNYECHIK", "MGM", 256), ("KUZNYECHIK_MGM_S", "KUZNYECHIK", "MGM", 256),
    ("MAGMA_MGM_L", "MAGMA", "MGM", 256), ("MAGMA_MGM_S", "MAGMA", "MGM", 256),
    ("SM4_GCM", "SM4", "GCM", 128), ("SM4_CCM", "SM4", "CCM", 128),
    ("AEGIS_256", "AEGIS", "AEAD", 256), ("AEGIS_128L", "AEGIS", "AEAD", 128),
]
AEAD_MODES = {"GCM", "CCM", "CCM_8", "AEAD", "MGM"}
MACS = {"": None, "MD5": "MD5", "SHA": "SHA1", "SHA256": "SHA256", "SHA384": "SHA384",
        "IMIT": "GOST28147", "GOSTR3411": "GOSTR3411", "GOST94": "GOSTR3411", "SM3": "SM3",
        "OMAC": "OMAC", "STREEBOG256": "STREEBOG256", "OLD": None}
# Hand-described non-IANA codes whose only name is OpenSSL's (no standard-style name to parse).
MANUAL = {
    0xFF02: ("RSA", "RSA", "GOST28147", "CNT", 256, "GOST28147", None),
    0xFF03: ("RSA", "RSA", "GOST28147", "CNT", 256, "GOST28147", None),
    0xFF85: ("GOST", "GOST", "GOST28147", "CNT", 256, "GOST28147", "STREEBOG256"),
    0xFF87: ("GOST", "GOST", "NULL", "NONE", 0, "STREEBOG256", "STREEBOG256"),
}


def parse_name(code, name):
    """IANA-grammar name -> (kx, auth, cipher, mode, bits, mac, prf, export)."""
    n = re.sub(r"^(TLS|SSL)_", "", name)
    n = re.sub(r"_OLD$", "", n)
    if "_WITH_" in n:
        kxau, rest = n.split("_WITH_", 1)
        kx, auth, export = KXAU[kxau]
    else:
        kx, auth, export, rest = "TLS13", "TLS13", False, n
    if rest == "SHA256_SHA256" or rest == "SHA384_SHA384":  # RFC 9150 integrity-only
        h = rest.split("_")[0]
        return kx, auth, "NULL", "NONE", 0, h, h, export
    if rest == "NULL_NULL":
        return kx, auth, "NULL", "NONE", 0, "NULL", None, export
    if code in TLS13_CODES:
        kx, auth = "TLS13", "TLS13"  # TLS 1.3 suites name no key exchange or authentication
    for tok, cipher, mode, bits in sorted(CIPHERS, key=lambda c: -len(c[0])):
        if rest == tok or rest.startswith(tok + "_"):
            suffix = rest[len(tok) + 1:]
            break
    else:
        raise SystemExit(f"0x{code:04X} {name}: cannot parse cipher in {rest!r}")
    if suffix not in MACS:
        raise SystemExit(f"0x{code:04X} {name}: unknown mac {suffix!r}")
    h = MACS[suffix]
    if mode in AEAD_MODES:
        mac = "AEAD"
        prf = h or ("STREEBOG256" if cipher in ("KUZNYECHIK", "MAGMA") else "SHA256")  # RFC 6655 CCM suites without a hash suffix use the SHA-256 PRF
    elif mode == "CTR_OMAC":
        mac, prf = "OMAC", "STREEBOG256"
    else:
        mac = h if h else "NULL"
        prf = h if h in ("SHA256", "SHA384") else None
    if "EXPORT" in name and cipher in ("DES", "RC4", "RC2") and bits > 56:
        bits = 40
    return kx, auth, cipher, mode, bits, mac, prf, export


def versions_for(code, kx, cipher, mode, bits, mac, prf, export, ossl_min, name_is_gost2012=False):
    if code in TLS13_CODES:
        return ["TLSv1.3"]
    if code in BOTH_12_13:
        return ["TLSv1.2", "TLSv1.3"]
    if ossl_min:
        lo = {"SSLv3": "SSLv3", "TLSv1": "TLSv1.0", "TLSv1.2": "TLSv1.2"}[ossl_min]
    elif mac == "AEAD" or prf in ("SHA256", "SHA384"):
        lo = "TLSv1.2"
    elif kx.startswith("EC") or kx in ("PSK", "DHE_PSK", "RSA_PSK", "SRP", "KRB5"):
        lo = "TLSv1.0"
    else:
        lo = "SSLv3"
    # AEAD and SHA-256/384 PRF suites exist only from TLS 1.2 (RFC 5246, 5288, 5289).
    if mac == "AEAD" or prf in ("SHA256", "SHA384"):
        lo = "TLSv1.2"
    # ECC suites are TLS-only (RFC 4492/8422).
    if kx in ("ECDH", "ECDHE", "ECDH_anon", "ECDHE_PSK") and lo == "SSLv3":
        lo = "TLSv1.0"
    if name_is_gost2012:
        lo = "TLSv1.2"  # RFC 9189 defines its suites for TLS 1.2 only
    hi = "TLSv1.2"
    if export:
        hi = "TLSv1.0"  # RFC 4346 A.5: export suites MUST NOT be negotiated in TLS 1.1
    elif cipher in ("DES", "IDEA"):
        hi = "TLSv1.1"  # RFC 5469: DES and IDEA suites MUST NOT be negotiated in TLS 1.2
    return VERSIONS[VERSIONS.index(lo):VERSIONS.index(hi) + 1]


suites = []
seen = set()


def add(code, name, iana, reference, dtls_ok, recommended):
    o = ossl_rows.get(code)
    t = testssl.get(code)
    openssl = None
    if o and o["openssl_name"]:
        openssl = o["openssl_name"]
    elif t and t[0] not in ("-", ""):
        openssl = t[0]
    ossl_min = o["min_protocol"] if o else None
    entry = {"code": code, "iana": name, "openssl": openssl, "reference": reference,
             "dtls": dtls_ok, "recommended": recommended}
    flags = []
    if iana:
        flags.append("iana")
    if name == "Reserved":
        entry.update(kx="NULL", auth="NULL", cipher="NULL", mode="NONE", bits=0, mac="NULL", prf=None,
                     versions=[], note="GREASE value (RFC 8701): never negotiated")
        flags.append("grease")
    elif name.endswith("_SCSV"):
        entry.update(kx="NULL", auth="NULL", cipher="NULL", mode="NONE", bits=0, mac="NULL", prf=None,
                     versions=[], note="signalling value, not a cipher suite")
        flags.append("scsv")
    else:
        if code in MANUAL:
            kx, auth, cipher, mode, bits, mac, prf = MANUAL[code]
            export = False
        else:
            kx, auth, cipher, mode, bits, mac, prf, export = parse_name(code, name)
        entry.update(kx=kx, auth=auth, cipher=cipher, mode=mode, bits=bits, mac=mac, prf=prf,
                     versions=versions_for(code, kx, cipher, mode, bits, mac, prf, export, ossl_min, "GOSTR341112_256" in name))
        if export:
            flags.append("export")
        if cipher == "NULL":
            flags.append("null")
        if auth == "anon":
            flags.append("anonymous")
        if mac == "AEAD":
            flags.append("aead")
    entry["flags"] = flags
    suites.append(entry)
    seen.add(code)


for r in iana_rows:
    code = code_of(r["value"])
    add(code, r["description"], True, r["reference"], r["dtls_ok"] == "Y", r["recommended"])

for code in sorted(set(ossl_rows) | set(testssl)):
    if code in seen:
        continue
    o = ossl_rows.get(code)
    t = testssl.get(code)
    name = (o and o["iana_name"]) or (t and t[1] not in ("-", "") and t[1]) or (o and o["openssl_name"]) or t[0]
    src = "OpenSSL/testssl.sh (not IANA-registered)"
    add(code, name, False, src, False, "")

# Cross-check against OpenSSL's columns where it has them.
for s in suites:
    o = ossl_rows.get(s["code"])
    if not o or "grease" in s["flags"] or "scsv" in s["flags"]:
        continue
    m = re.match(r"[A-Za-z0-9/]+\((\d+)\)", o["enc"])
    if m and int(m.group(1)) != s["bits"] and not (s["cipher"] == "3DES_EDE") and not (s["cipher"] == "RC4" and s["bits"] == 40):
        print(f"warning: 0x{s['code']:04X} bits {s['bits']} vs openssl {o['enc']}", file=sys.stderr)
    if o["mac"] == "AEAD" and s["mac"] != "AEAD":
        print(f"warning: 0x{s['code']:04X} mac {s['mac']} vs AEAD", file=sys.stderr)

KX_RANK = {"ECDHE": 0, "DHE": 1, "CECPQ1": 2, "ECDHE_PSK": 3, "DHE_PSK": 4, "RSA": 5, "ECDH": 6, "DH": 7,
           "RSA_PSK": 8, "PSK": 9, "ECCPWD": 10, "SRP": 11, "KRB5": 12, "GOST": 13, "ECDH_anon": 14,
           "DH_anon": 15, "NULL": 16, "TLS13": 0}
CIPHER_RANK = {"AES": 0, "CHACHA20_POLY1305": 1, "CAMELLIA": 2, "ARIA": 3, "SEED": 4, "SM4": 5, "AEGIS": 6,
               "KUZNYECHIK": 7, "MAGMA": 8, "GOST28147": 9, "3DES_EDE": 10, "IDEA": 11, "RC4": 12,
               "RC2": 13, "DES": 14, "NULL": 15}
MODE_RANK = {"GCM": 0, "AEAD": 0, "CCM": 1, "CCM_8": 2, "MGM": 3, "CBC": 4, "CTR_OMAC": 4, "CNT": 5,
             "STREAM": 6, "NONE": 7}
MAC_RANK = {"AEAD": 0, "SHA384": 1, "SHA256": 2, "SHA1": 3, "OMAC": 3, "GOST28147": 4, "GOSTR3411": 4,
            "STREEBOG256": 4, "SM3": 4, "MD5": 5, "NULL": 6}
TLS13_ORDER = [0x1302, 0x1303, 0x1301, 0x1304, 0x1305, 0x1306, 0x1307, 0x00C6, 0x00C7,
               0xC103, 0xC105, 0xC104, 0xC106, 0xC0B5, 0xC0B4]
FS = {"ECDHE", "DHE", "ECDHE_PSK", "DHE_PSK", "CECPQ1"}
APPROVED_BLOCK = {"AES"}


def tier(s):
    f = s["flags"]
    if "grease" in f or "scsv" in f:
        return 99
    if s["versions"] == ["TLSv1.3"]:
        return 0
    if "null" in f:
        return 9
    if "export" in f:
        return 8
    if "anonymous" in f:
        return 7
    c = s["cipher"]
    if c in ("RC4", "RC2", "DES"):
        return 6
    if c in ("3DES_EDE", "IDEA"):
        return 5
    fs = s["kx"] in FS
    aead = s["mac"] == "AEAD"
    if fs:
        return 1 if aead else 2
    return 3 if aead else 4


def sort_key(s):
    t = tier(s)
    if t == 0:
        return (0, TLS13_ORDER.index(s["code"]), 0, 0, 0, 0)
    return (t, -s["bits"], MODE_RANK[s["mode"]], CIPHER_RANK[s["cipher"]], KX_RANK[s["kx"]],
            MAC_RANK[s["mac"]], s["code"])


suites.sort(key=sort_key)


def q(v):
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


with open(os.path.join(OUT, "suites.toml"), "w") as f:
    f.write("""# fipsprobe cipher-suite database. Generated by cipher-db/tools/gen_db.py from the
# reference registries (see cipher-db/README.md); edit the script, not this file, for bulk changes.
#
# File order is the offer order: strongest first (TLS 1.3, then forward-secret AEAD, forward-secret
# CBC, static-key AEAD, static-key CBC, 3DES/IDEA, RC4/RC2/DES, anonymous, export, NULL; SCSV and
# GREASE last). A server that follows the client's order picks the first suite it shares with us.
#
# Fields: code; iana (the IANA name, or the OpenSSL/testssl name for non-IANA codes); openssl;
# versions (where the suite may be negotiated, per the RFCs: AEAD and SHA-256/384 suites TLS 1.2
# only, export suites up to TLS 1.0 (RFC 4346), DES/IDEA up to TLS 1.1 (RFC 5469), TLS 1.3 suites
# only in 1.3); kx; auth; cipher; mode; bits (key bits; 3DES counts 168); mac (HMAC hash or AEAD);
# prf (handshake hash where the suite fixes one); flags (iana, export, null, anonymous, aead, scsv,
# grease); reference (the defining document).
""")
    for s in suites:
        f.write("\n[[suite]]\n")
        f.write(f"code = 0x{s['code']:04X}\n")
        f.write(f"iana = {q(s['iana'])}\n")
        if s["openssl"]:
            f.write(f"openssl = {q(s['openssl'])}\n")
        f.write("versions = [" + ", ".join(q(v) for v in s["versions"]) + "]\n")
        f.write(f"kx = {q(s['kx'])}\nauth = {q(s['auth'])}\ncipher = {q(s['cipher'])}\nmode = {q(s['mode'])}\n")
        f.write(f"bits = {s['bits']}\nmac = {q(s['mac'])}\n")
        if s["prf"]:
            f.write(f"prf = {q(s['prf'])}\n")
        f.write("flags = [" + ", ".join(q(x) for x in s["flags"]) + "]\n")
        f.write(f"reference = {q(s['reference'])}\n")
        if s.get("note"):
            f.write(f"note = {q(s['note'])}\n")

    f.write("\n# SSLv2 cipher specs (3-byte codes, RFC-less: the Netscape SSL 2.0 draft), from testssl.sh.\n")
    for code, name_ossl, name_std, kv, export in ssl2:
        m = re.match(r"([A-Za-z0-9]+)\((\d+)\)", kv.get("Enc", ""))
        cipher = {"RC4": "RC4", "RC2": "RC2", "IDEA": "IDEA", "3DES": "3DES_EDE", "DES": "DES"}.get(m.group(1) if m else "", "NULL")
        bits = int(m.group(2)) if m else 0
        mac = {"MD5": "MD5", "SHA1": "SHA1"}.get(kv.get("Mac"), "NULL" if kv.get("Mac") == "Null" else "MD5")
        f.write("\n[[ssl2]]\n")
        f.write(f"code = 0x{code:06X}\nname = {q(name_std)}\nopenssl = {q(name_ossl)}\n")
        f.write(f"cipher = {q(cipher)}\nbits = {bits}\nmac = {q(mac)}\nexport = {'true' if export else 'false'}\n")

print(f"{len(suites)} suites, {len(ssl2)} ssl2", file=sys.stderr)

# ---------------------------------------------------------------- groups

SHARE = {  # (kind, client key_share bytes, server key_share bytes, security bits)
    "secp256r1": ("ec", 65, 65), "secp384r1": ("ec", 97, 97), "secp521r1": ("ec", 133, 133),
    "x25519": ("ec", 32, 32), "x448": ("ec", 56, 56),
    "brainpoolP256r1tls13": ("ec", 65, 65), "brainpoolP384r1tls13": ("ec", 97, 97),
    "brainpoolP512r1tls13": ("ec", 129, 129),
    "ffdhe2048": ("ffdhe", 256, 256), "ffdhe3072": ("ffdhe", 384, 384), "ffdhe4096": ("ffdhe", 512, 512),
    "ffdhe6144": ("ffdhe", 768, 768), "ffdhe8192": ("ffdhe", 1024, 1024),
    "MLKEM512": ("kem", 800, 768), "MLKEM768": ("kem", 1184, 1088), "MLKEM1024": ("kem", 1568, 1568),
    "SecP256r1MLKEM768": ("hybrid", 65 + 1184, 65 + 1088), "X25519MLKEM768": ("hybrid", 1184 + 32, 1088 + 32),
    "SecP384r1MLKEM1024": ("hybrid", 97 + 1568, 97 + 1568),
    "X25519Kyber768Draft00": ("hybrid", 32 + 1184, 32 + 1088),
    "SecP256r1Kyber768Draft00": ("hybrid", 65 + 1184, 65 + 1088),
    "curveSM2MLKEM768": ("hybrid", 65 + 1184, 65 + 1088),
}
groups = []
for r in csv.DictReader(open(os.path.join(REF, "iana-supported-groups.csv"))):
    code = int(r["value_hex"], 16)
    name = r["description"].replace(" (OBSOLETE)", "")
    g = {"code": code, "name": name, "iana": True, "recommended": r["recommended"], "reference": r["reference"]}
    if name == "Reserved" and code == 0:
        continue  # 0x0000 is reserved, not a group
    if name == "Reserved":
        g.update(kind="grease", note="GREASE value (RFC 8701)")
    elif name.startswith("arbitrary_explicit"):
        g.update(kind="explicit", note="explicit curve parameters (deprecated by RFC 8422)")
    elif name in SHARE:
        k, c, s_ = SHARE[name]
        g.update(kind=k, key_share_len=c, server_share_len=s_)
    else:
        g.update(kind="ec")
    if "OBSOLETE" in r["description"]:
        g["note"] = "obsolete pre-standard Kyber draft codepoint"
    groups.append(g)
seen_g = {g["code"] for g in groups}
for line in open(os.path.join(REF, "testssl-curves-mapping.txt")):
    parts = line.split()
    if not parts:
        continue
    code = code_of(parts[0])
    if code in seen_g or code == 0:
        continue
    name = parts[2]
    k, c, s_ = SHARE.get(name, ("ec", None, None))
    g = {"code": code, "name": name, "iana": False, "recommended": "", "reference": "testssl.sh etc/curves-mapping.txt",
         "kind": k}
    if c:
        g.update(key_share_len=c, server_share_len=s_)
    groups.append(g)
groups.sort(key=lambda g: g["code"])
with open(os.path.join(OUT, "groups.toml"), "w") as f:
    f.write("""# TLS supported groups (IANA "TLS Supported Groups" registry, ~2025 snapshot, plus codes testssl.sh
# knows beyond it). Generated by cipher-db/tools/gen_db.py; see cipher-db/README.md.
# kind: ec (elliptic curve ECDH, incl. x25519/x448), ffdhe (RFC 7919), kem (pure ML-KEM), hybrid
# (ECDH + ML-KEM concatenation), explicit (arbitrary explicit curves), grease (RFC 8701).
# key_share_len: bytes of a client key_share for this group; server_share_len: the server's.
""")
    for g in groups:
        f.write("\n[[group]]\n")
        f.write(f"code = 0x{g['code']:04X}\nname = {q(g['name'])}\nkind = {q(g['kind'])}\n")
        if g.get("key_share_len"):
            f.write(f"key_share_len = {g['key_share_len']}\nserver_share_len = {g['server_share_len']}\n")
        f.write(f"iana = {'true' if g['iana'] else 'false'}\n")
        if g["recommended"]:
            f.write(f"recommended = {q(g['recommended'])}\n")
        f.write(f"reference = {q(g['reference'])}\n")
        if g.get("note"):
            f.write(f"note = {q(g['note'])}\n")
print(f"{len(groups)} groups", file=sys.stderr)

# ---------------------------------------------------------------- signature schemes

schemes = {}
for r in csv.DictReader(open(os.path.join(REF, "iana-signature-schemes.csv"))):
    code = int(r["value"], 16)
    schemes[code] = {"code": code, "name": r["description"], "iana": True, "recommended": r["recommended"],
                     "reference": r["reference"]}
for r in csv.DictReader(open(os.path.join(REF, "tls12-legacy-signature-hash-pairs.csv"))):
    code = int(r["value"], 16)
    s = schemes.get(code)
    if s is None or s["name"].startswith("Reserved"):
        s = {"code": code, "name": r["name"], "iana": s is not None, "recommended": s["recommended"] if s else "",
             "reference": "RFC 5246 s7.4.1.4.1 (TLS 1.2 hash/signature pair)"}
        schemes[code] = s
    s["hash"] = r["hash"]
    s["signature"] = r["signature"]
    s["tls12_only"] = True

def sig_attrs(name):
    n = name.lower()
    if n.startswith("rsa_pss_pss"):
        sig = "rsa_pss_pss"
    elif n.startswith("rsa_pss_rsae"):
        sig = "rsa_pss"
    elif n.startswith("rsa"):
        sig = "rsa_pkcs1"
    elif n.startswith("ecdsa_brainpool"):
        sig = "ecdsa_brainpool"
    elif n.startswith("ecdsa"):
        sig = "ecdsa"
    elif n.startswith("dsa"):
        sig = "dsa"
    elif n in ("ed25519", "ed448"):
        return n, "intrinsic"
    elif n.startswith("mldsa"):
        return "mldsa", "intrinsic"
    elif n.startswith("gost"):
        return "gost", "streebog"
    elif n.startswith("sm2"):
        return "sm2", "sm3"
    else:
        return "other", "other"
    m = re.search(r"(md5|sha1|sha224|sha256|sha384|sha512)", n)
    return sig, m.group(1) if m else "other"

with open(os.path.join(OUT, "sigschemes.toml"), "w") as f:
    f.write("""# TLS signature schemes (IANA "TLS SignatureScheme" registry, ~2025 snapshot) and the TLS 1.2
# (hash, signature) pairs of RFC 5246 that the registry only reserves. Generated by
# cipher-db/tools/gen_db.py; see cipher-db/README.md.
# signature: rsa_pkcs1 | rsa_pss (rsae) | rsa_pss_pss | ecdsa | ecdsa_brainpool | dsa | ed25519 |
# ed448 | mldsa | gost | sm2 | other; hash: md5 | sha1 | sha224 | sha256 | sha384 | sha512 |
# intrinsic (EdDSA, ML-DSA) | streebog | sm3 | other.
""")
    for code in sorted(schemes):
        s = schemes[code]
        if s["name"].startswith("Reserved"):
            sig, h = "other", "other"
        else:
            sig, h = sig_attrs(s["name"])
        f.write("\n[[scheme]]\n")
        f.write(f"code = 0x{code:04X}\nname = {q(s['name'])}\nsignature = {q(sig)}\nhash = {q(h)}\n")
        f.write(f"iana = {'true' if s['iana'] else 'false'}\n")
        if s.get("tls12_only"):
            f.write("tls12_only = true\n")
        if s["recommended"]:
            f.write(f"recommended = {q(s['recommended'])}\n")
        f.write(f"reference = {q(s['reference'])}\n")
print(f"{len(schemes)} schemes", file=sys.stderr)
