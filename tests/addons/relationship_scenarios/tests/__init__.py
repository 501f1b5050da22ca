from . import test_product_installed
