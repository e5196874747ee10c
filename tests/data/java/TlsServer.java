// A JSSE (OpenJDK) TLS server for the fipsprobe tests, run in source-file mode:
//
//   java TlsServer.java KEYSTORE.p12 PASSWORD PORT PROTOCOLS LIFETIME_SECONDS
//
// It binds 127.0.0.1:PORT only, serves every key in the PKCS#12 store (JSSE's key manager picks
// the one the negotiated suite can use: an RSA and an EC key side by side give two chains),
// prints its enabled suites in its own order ("SUITES a,b,...") and whether it applies that
// order ("SERVER_ORDER true|false") before "listening", enables exactly PROTOCOLS (e.g.
// "TLSv1,TLSv1.1,TLSv1.2"; TLS 1.0/1.1 are re-enabled by clearing them from
// jdk.tls.disabledAlgorithms), completes each handshake and closes, and exits by itself after
// LIFETIME_SECONDS. It exists because JSSE, unlike OpenSSL, GnuTLS and Go, never implemented
// TLS_FALLBACK_SCSV (RFC 7507) on the server side: a real stack that accepts a fallback hello.
import java.io.FileInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.KeyStore;
import java.security.Security;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

public class TlsServer {
    public static void main(String[] args) throws Exception {
        String keystore = args[0];
        char[] password = args[1].toCharArray();
        int port = Integer.parseInt(args[2]);
        String[] protocols = args[3].split(",");
        long lifetime = Long.parseLong(args[4]);

        // The JDK default disables TLSv1 and TLSv1.1; keep the rest of its list.
        Security.setProperty("jdk.tls.disabledAlgorithms",
            "SSLv3, RC4, DES, MD5withRSA, DH keySize < 1024, EC keySize < 224, 3DES_EDE_CBC, anon, NULL");

        Thread stopper = new Thread(() -> {
            try {
                Thread.sleep(lifetime * 1000);
            } catch (InterruptedException e) {
                // exit anyway
            }
            System.exit(0);
        });
        stopper.setDaemon(true);
        stopper.start();

        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(keystore)) {
            ks.load(in, password);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, password);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);

        SSLServerSocket server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 64);
        server.setEnabledProtocols(protocols);
        System.out.println("SUITES " + String.join(",", server.getEnabledCipherSuites()));
        System.out.println("SERVER_ORDER " + server.getSSLParameters().getUseCipherSuitesOrder());
        System.out.println("listening on 127.0.0.1:" + port);
        System.out.flush();
        while (true) {
            SSLSocket socket = (SSLSocket) server.accept();
            Thread t = new Thread(() -> {
                try (SSLSocket s = socket) {
                    s.setSoTimeout(5000);
                    s.startHandshake();
                } catch (Exception e) {
                    // A refused or abandoned handshake is what a scanner causes; nothing to do.
                }
            });
            t.setDaemon(true);
            t.start();
        }
    }
}
