from . import test_product_installed
from . import test_external_api
