module fipsprobe.test/kubeserve

go 1.23
