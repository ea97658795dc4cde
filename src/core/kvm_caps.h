/* What this host offers against VM exits (`warden caps`): three tables --
 * KVM capabilities, the paravirtual features KVM offers to guests, and the
 * hardware features the KVM modules report as parameters -- each row with
 * the exits it removes and whether warden uses it; plus the live checks
 * that fill a caps_report and the kind of host we run on. */
#ifndef WARDEN_CORE_KVM_CAPS_H
#define WARDEN_CORE_KVM_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How a capability's KVM_CHECK_EXTENSION answer reads. */
enum caps_kind {
	CAPS_BOOL,   /* 0 no, >0 yes */
	CAPS_NUMBER, /* a count (vCPUs) */
	CAPS_BYTES,  /* a size in bytes (dirty ring) */
	CAPS_PAGE,   /* a page offset in the vCPU's kvm_run mapping (coalesced MMIO ring) */
	CAPS_BITS,   /* a bitmask, bits named in .bits */
};

#define CAPS_MAX_BITS 8

struct caps_cap_def {
	const char *name;     /* short name, the row's key: "ioeventfd" */
	const char *constant; /* "KVM_CAP_IOEVENTFD" */
	long number;
	enum caps_kind kind;
	const char *bits[CAPS_MAX_BITS]; /* CAPS_BITS: name of bit i */
	const char *removes;
};

struct caps_pv_def {
	const char *name;     /* "pv-eoi" */
	const char *constant; /* "KVM_FEATURE_PV_EOI" */
	unsigned bit;         /* in CPUID 0x40000001 EAX */
	const char *removes;
};

struct caps_hw_def {
	const char *module; /* "kvm", "kvm_amd", "kvm_intel" */
	const char *param;  /* file in /sys/module/MODULE/parameters; NULL: no parameter, always on */
	const char *name;   /* "npt" */
	const char *removes;
};

extern const struct caps_cap_def caps_cap_defs[];
extern const unsigned caps_ncap;
extern const struct caps_pv_def caps_pv_defs[];
extern const unsigned caps_npv;
extern const struct caps_hw_def caps_hw_defs[];
extern const unsigned caps_nhw;

#define CAPS_NCAP_MAX 40
#define CAPS_NHW_MAX 40

enum caps_module { CAPS_MOD_NONE, CAPS_MOD_INTEL, CAPS_MOD_AMD, CAPS_MOD_PVM };

/* What kind of machine this is, from /sys/module, CPUID and /proc/cpuinfo. */
struct caps_host {
	enum caps_module module;
	bool cpu_hypervisor;    /* CPUID.1:ECX[31]: this CPU is virtualised */
	char cpu_signature[13]; /* CPUID 0x40000000 EBX ECX EDX, when hypervisor */
	bool cpu_vmx, cpu_svm;  /* /proc/cpuinfo flags */
	bool cpuinfo_read;
	char kernel[65];        /* uname -r */
};

/* KVM_CHECK_EXTENSION answers; CAPS_UNCHECKED where the fd was missing. */
#define CAPS_UNCHECKED (-1000L)

struct caps_cap_result {
	long system; /* on the KVM device */
	long vm;     /* on a VM fd */
};

struct caps_hw_result {
	bool present;   /* the module and the parameter exist */
	char value[32]; /* the parameter file's content, trimmed */
};

struct caps_report {
	const char *device;
	struct caps_host host;
	bool kvm_open;      /* the device opened and speaks the KVM API */
	bool vm_created;    /* KVM_CREATE_VM worked */
	bool check_on_vm;   /* KVM_CAP_CHECK_EXTENSION_VM: VM fds answer too */
	bool cpuid_read;    /* KVM_GET_SUPPORTED_CPUID worked */
	bool pv_leaf;       /* it had leaf 0x40000001 */
	uint32_t pv_eax;    /* its EAX: the KVM_FEATURE_* bits */
	char error[256];    /* why something could not be checked ("" if all was) */
	struct caps_cap_result cap[CAPS_NCAP_MAX];
	struct caps_hw_result hw[CAPS_NHW_MAX];
};

/* Fill R for DEVICE: host kind and hardware parameters always; the KVM
 * sections as far as the device allows. Returns 0, or -1 with fail()
 * recorded (R->error says the same) when the KVM device could not be used
 * (usage class: missing, no permission, not KVM) or a KVM query failed
 * (host class); what could be checked is filled in either way. */
int caps_probe(struct caps_report *r, const char *device);
void caps_host_detect(struct caps_host *h);
/* Whether the host's CPU is emulated by QEMU's TCG (the emulated AMD-V
 * tier's L1), from its hypervisor signature. */
bool caps_host_emulated(const struct caps_host *h);
/* The tier name the lab and bench outputs use: "emulated" or "native". */
const char *caps_host_tier(const struct caps_host *h);

/* Where warden uses row NAME (a capability or PV feature), or NULL. */
const char *caps_used_by(const char *name);

/* The answer for capability I: the VM's when a VM answered, else the
 * system's (CAPS_UNCHECKED if neither). */
long caps_cap_value(const struct caps_report *r, unsigned i);
bool caps_cap_available(const struct caps_report *r, unsigned i);
/* Capability I is available and warden uses it. */
bool caps_cap_used(const struct caps_report *r, unsigned i);
/* VALUE of capability DEF as text: "yes", "no", "288", "hlt,pause", "64 KiB". */
void caps_format_value(const struct caps_cap_def *def, long value, char *buf, size_t len);

bool caps_pv_available(const struct caps_report *r, unsigned i);
bool caps_pv_used(const struct caps_report *r, unsigned i);

/* Hardware row I belongs to the KVM module this host has loaded (rows of
 * the generic kvm module always do). */
bool caps_hw_relevant(const struct caps_report *r, unsigned i);
/* A module parameter's value read as on/off: "Y"/"1"/positive numbers are
 * on; "N"/"0"/negative are off. Returns -1 when VALUE is not a flag or a
 * number. */
int caps_param_enabled(const char *value);
bool caps_hw_enabled(const struct caps_report *r, unsigned i);

/* One line each about the host: its KVM module and its CPU. */
const char *caps_module_name(enum caps_module m);
const char *caps_module_summary(enum caps_module m);
/* What a CPUID 0x40000000 signature says about the CPU we run on. */
const char *caps_signature_meaning(const char *signature);
void caps_cpu_summary(const struct caps_host *h, char *buf, size_t len);

#endif
