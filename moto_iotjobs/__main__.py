"""`python -m moto_iotjobs`: see `moto_iotjobs.server`."""

from moto_iotjobs.server import main

main()
