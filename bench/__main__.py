import sys

from bench.image_path import main

sys.exit(main())
