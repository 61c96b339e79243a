"""Fault injection: make chosen IoT Jobs calls fail with a modelled error, to test retries.

    from moto_iotjobs import inject_fault

    inject_fault("UpdateJobExecution", "ThrottlingException", count=2)   # the next 2 calls
    inject_fault("*", "ServiceUnavailableException", probability=0.1, seed=7)  # 10 %, repeatable

A rule names an operation as botocore's model spells it ("ListJobs") or as boto3 does
("list_jobs"), or "*"; an operation the plugin does not serve on that plane is a ValueError
(a 400 over HTTP) listing the valid names. It optionally names a plane ("iot" or "iot-jobs-data"; both by
default), the error code (any error the plugin models: ThrottlingException is 400 on `iot`
and 429 on `iot-jobs-data`, ServiceUnavailableException 503, InternalFailureException 500,
...), and either `count` (fail the next N matching calls) or `probability` with an optional
`seed` (fail each matching call with that chance, reproducibly). The injected error is
answered before the request is parsed, so a failed call changes no state.

Rules live in a moto backend, so they are cleared whenever moto resets (every new mock,
`/moto-api/reset`). In server mode the same rules are managed over HTTP:
`POST /moto-api/iotjobs/faults` (JSON body with the arguments of `inject_fault`),
`GET` lists them, `DELETE` clears them.
"""
