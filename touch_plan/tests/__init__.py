from . import test_install
from . import test_occasion
from . import test_key_date
