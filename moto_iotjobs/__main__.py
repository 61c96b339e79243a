"""`python -m moto_iotjobs`: see `moto_iotjobs.server`."""

from .server import main

main()
