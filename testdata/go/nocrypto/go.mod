module fipsprobe.test/nocrypto

go 1.19
