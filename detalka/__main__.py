import sys

from detalka.cli import main

sys.exit(main())
