"""DescribeEndpoint as the live service answers it: one stable address per account and type;
the retired `iot:Jobs` and `iot:Data` types are refused (device planes live on Data-ATS)."""
