#include "tests/test_object.h"
Suite *suite_object_multipart(void)
{
	return suite_create("object_multipart");
}
