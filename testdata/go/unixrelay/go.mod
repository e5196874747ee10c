module fipsprobe.test/unixrelay

go 1.19
