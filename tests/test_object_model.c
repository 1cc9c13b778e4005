#include "tests/test_object.h"
Suite *suite_object_model(void)
{
	return suite_create("object_model");
}
