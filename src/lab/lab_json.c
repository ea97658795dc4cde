#include "lab/lab_json.h"

#include <math.h>
#include <time.h>

#include "util/error.h"

void lab_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void lab_json_num(FILE *f, double v, int digits)
{
	if (isfinite(v))
		fprintf(f, "%.*g", digits, v);
	else
		fputs("null", f);
}

FILE *lab_json_open(const char *path, const char *experiment, const char *tier, const char *kvm,
		    const char *kernel)
{
	FILE *f = fopen(path, "w");
	char date[32];
	time_t now = time(NULL);

	if (!f)
		return fail_errno(ERR_USAGE, "cannot write --json %s", path), NULL;
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(f, "{\n  \"experiment\": ");
	lab_json_str(f, experiment);
	fprintf(f, ",\n  \"date\": \"%s\",\n  \"tier\": {\"name\": ", date);
	lab_json_str(f, tier);
	fprintf(f, ", \"kvm\": ");
	lab_json_str(f, kvm);
	fprintf(f, ", \"host_kernel\": ");
	lab_json_str(f, kernel);
	return f;
}
