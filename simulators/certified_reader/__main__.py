"""``python -m simulators.certified_reader [DIR]``: build the libraries, print their paths."""

import sys

from simulators.certified_reader.build import main

sys.exit(main())
