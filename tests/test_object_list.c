#include "tests/test_object.h"
Suite *suite_object_list(void)
{
	return suite_create("object_list");
}
