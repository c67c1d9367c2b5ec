module kindling.test/mbref

go 1.19
