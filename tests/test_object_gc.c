#include "tests/test_object.h"
Suite *suite_object_gc(void)
{
	return suite_create("object_gc");
}
