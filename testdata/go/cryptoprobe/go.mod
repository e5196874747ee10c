module fipsprobe.test/cryptoprobe

go 1.19
