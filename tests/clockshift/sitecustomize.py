"""Put a Python process that a test started on the tests' clock (see ``tests/clock.py``).

Python runs ``sitecustomize`` at start-up; this folder is on ``PYTHONPATH`` only while the tests'
clock is moved, and ``PRINTGATE_TEST_CLOCK_OFFSET_S`` says by how many seconds.
"""

import os
import time

_offset = os.environ.get("PRINTGATE_TEST_CLOCK_OFFSET_S")
if _offset:
    import time_machine

    time_machine.travel(time.time() + float(_offset), tick=True).start()
    # time-machine's ticking clock starts at its first reading, not at start(): read it now, or this
    # process would lag behind the others by however long its imports take.
    time.time()
