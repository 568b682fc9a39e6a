#include "options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/size.h"
#include "arch.h"
#include "util.h"

struct option_def {
	const char *name;
	const char *arg; /* NULL for a flag */
	const char *help;
	int (*apply)(struct vmm_options *opts, const char *arg);
	bool arg_optional; /* the value may be left out: then the next word is not taken */
};

static int set_kernel(struct vmm_options *o, const char *a)
{
	o->kernel = a;
	return 0;
}

static int set_initrd(struct vmm_options *o, const char *a)
{
	o->initrd = a;
	return 0;
}

static int set_cmdline(struct vmm_options *o, const char *a)
{
	o->cmdline = a;
	return 0;
}

static int set_firmware(struct vmm_options *o, const char *a)
{
	o->firmware = a;
	return 0;
}

static int set_console(struct vmm_options *o, const char *a)
{
	o->console = strcmp(a, "stdio") == 0 ? NULL : a;
	return 0;
}

static int set_mem(struct vmm_options *o, const char *a)
{
	if (size_parse(a, SIZE_MIB, &o->mem_size) < 0 || o->mem_size < VMM_MIN_MEM ||
	    o->mem_size > VMM_MAX_MEM || o->mem_size % 4096)
		return vmm_err("invalid --mem '%s': use a size like 128M or 1G, from 2M to 1T", a);
	return 0;
}

static int set_cpus(struct vmm_options *o, const char *a)
{
	if (parse_int(a, 1, VMM_MAX_CPUS, &o->cpus) < 0)
		return vmm_err("invalid --cpus '%s': use a number from 1 to %d", a, VMM_MAX_CPUS);
	return 0;
}

static int set_stats(struct vmm_options *o, const char *a)
{
	(void)a;
	o->stats = true;
	return 0;
}

static int add_disk(struct vmm_options *o, const char *a)
{
	if (o->nr_disks == 8)
		return vmm_err("at most 8 --disk");
	o->disks[o->nr_disks++] = a;
	return 0;
}

static int add_net(struct vmm_options *o, const char *a)
{
	if (o->nr_nets == 4)
		return vmm_err("at most 4 --net");
	o->nets[o->nr_nets++] = a;
	return 0;
}

static int set_rng(struct vmm_options *o, const char *a)
{
	(void)a;
	o->rng = true;
	return 0;
}

static int set_pmu(struct vmm_options *o, const char *a)
{
	(void)a;
	o->pmu = true;
	return 0;
}

static int set_dump_dtb(struct vmm_options *o, const char *a)
{
	if (!ARCH_HAS_DEVICE_TREE)
		return vmm_err("--dump-dtb: %s guests boot without a device tree", ARCH_NAME);
	o->dump_dtb = a;
	return 0;
}

static int set_hvc(struct vmm_options *o, const char *a)
{
	(void)a;
	o->hvc = true;
	return 0;
}

static int set_vsock(struct vmm_options *o, const char *a)
{
	o->vsock = a;
	return 0;
}

static int set_monitor(struct vmm_options *o, const char *a)
{
	o->monitor = true;
	if (!a)
		return 0;
	if (strncmp(a, "unix:", 5) != 0 || !a[5])
		return vmm_err("invalid --monitor '%s': use --monitor or --monitor unix:PATH", a);
	/* A socket path must fit sockaddr_un's sun_path (108 bytes with its NUL). */
	if (strlen(a + 5) >= 108)
		return vmm_err("invalid --monitor: the socket path is longer than 107 bytes");
	o->monitor_socket = a + 5;
	return 0;
}

static int set_restore(struct vmm_options *o, const char *a)
{
	o->restore = a;
	return 0;
}

static int set_restore_eager(struct vmm_options *o, const char *a)
{
	(void)a;
	o->restore_eager = true;
	return 0;
}

static int set_incoming(struct vmm_options *o, const char *a)
{
	if (strncmp(a, "unix:", 5) != 0 || !a[5] || strlen(a + 5) >= 108)
		return vmm_err("invalid --incoming '%s': use unix:PATH (at most 107 bytes)", a);
	o->incoming = a;
	return 0;
}

static const struct option_def option_table[] = {
    {"kernel", "FILE", "Linux kernel: bzImage, or ELF vmlinux with a PVH note", set_kernel},
    {"initrd", "FILE", "initramfs (cpio, optionally compressed) for the kernel", set_initrd},
    {"cmdline", "TEXT", "appended to the kernel command line vmm builds", set_cmdline},
    {"firmware", "FILE", "run a flat binary instead of a kernel (see FIRMWARE below)",
     set_firmware},
    {"mem", "SIZE", "guest RAM, e.g. 128M or 1G (default 128M; no suffix means MiB)", set_mem},
    {"cpus", "N", "number of vCPUs (default 1)", set_cpus},
    {"console", "FILE", "write the guest's serial output to FILE (default: stdio)", set_console},
    {"stats", NULL, "print start-up times and VM exits on stderr at exit", set_stats},
    {"disk", "PATH[,ro][,direct]", "virtio-blk disk (repeatable; the first is /dev/vda)", add_disk},
    {"net", "tap[,name=N][,bridge=BR][,mac=MAC]", "virtio-net on a TAP (repeatable)", add_net},
    {"rng", NULL, "virtio-rng", set_rng},
    {"hvc", NULL, "virtio-console hvc0 on stdio", set_hvc},
    {"pmu", NULL, "give the guest the host's performance counters (default: no PMU)", set_pmu},
    {"vsock", "cid=N", "virtio-vsock through /dev/vhost-vsock", set_vsock},
    {"monitor", "[unix:PATH]", "Ctrl-A c opens the (vmm) monitor; unix:PATH also serves it",
     set_monitor, true},
    {"restore", "DIR",
     "resume the guest of a snapshot (monitor `snapshot DIR`); give the "
     "--mem, --cpus and device options it was taken with",
     set_restore},
    {"restore-eager", NULL,
     "with --restore: read guest memory in whole first (default: "
     "map it, pages load when touched)",
     set_restore_eager},
    {"dump-dtb", "FILE", "write the guest's device tree (DTB) to FILE (arm64)", set_dump_dtb},
    {"incoming", "unix:PATH",
     "wait on PATH for a live migration instead of booting (the "
     "source's options otherwise)",
     set_incoming},
};

#define NR_OPTIONS (sizeof(option_table) / sizeof(option_table[0]))

void options_usage(FILE *out)
{
	fprintf(out, "usage: vmm --kernel FILE [--initrd FILE] [options]\n"
		     "       vmm --firmware FILE [options]\n"
		     "       vmm --restore DIR [options]\n\noptions:\n");
	for (size_t i = 0; i < NR_OPTIONS; i++) {
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s", option_table[i].name,
			 option_table[i].arg ? " " : "",
			 option_table[i].arg ? option_table[i].arg : "");
		/* A long argument pattern gets its own line so the help column stays aligned. */
		if (strlen(left) > 18)
			fprintf(out, "  %s\n  %-18s %s\n", left, "", option_table[i].help);
		else
			fprintf(out, "  %-18s %s\n", left, option_table[i].help);
	}
	fprintf(out, "  %-18s %s\n  %-18s %s\n", "--help", "show this help", "--version",
		"show the version");
	fprintf(out,
		"\nconsole: stdin is raw while it is a terminal; Ctrl-A x quits, Ctrl-A Ctrl-A "
		"sends Ctrl-A,\n"
		"  Ctrl-A c opens the monitor (with --monitor). `vmm monitor PATH [COMMAND]`\n"
		"  talks to a monitor served with --monitor unix:PATH.\n"
		"exit status: what the guest wrote to port 0xf4; 0 after poweroff, reboot or\n"
		"  a triple fault; 1 when the guest stopped KVM; 2 on bad usage.\n"
		"\nFIRMWARE: " ARCH_FIRMWARE_HELP
		"\n--stats prints, one 'key: value' per line on stderr:\n"
		"  first_kvm_run_ms: N       exec -> first KVM_RUN\n"
		"  userspace_marker_ms: N    exec -> guest's write to port 0xf5 (absent if none)\n"
		"  vcpuK_exits_REASON: N     VM exits of vCPU K by reason (io, mmio, hlt, ...)\n"
		"  serial_tx_bytes: N        bytes the guest wrote to COM1\n"
		"  vmm_private_kib: N        vmm's private memory, guest RAM excluded\n"
		"  guest_ram_touched_kib: N  guest RAM the host had to back\n"
		"  vmm: guest userspace reached after N ms\n"
		"\nenvironment: VMM_KVM_DEVICE overrides /dev/kvm.\n");
}

static const struct option_def *find_option(const char *name, size_t len)
{
	for (size_t i = 0; i < NR_OPTIONS; i++) {
		if (strlen(option_table[i].name) == len &&
		    strncmp(option_table[i].name, name, len) == 0)
			return &option_table[i];
	}
	return NULL;
}

/* Handles argv[*i] ("--name", "--name=value" or "--name value"); advances *i. */
static int parse_one(int argc, char **argv, int *i, struct vmm_options *opts)
{
	const char *word = argv[*i] + 2;
	const char *eq = strchr(word, '=');
	size_t len = eq ? (size_t)(eq - word) : strlen(word);
	const struct option_def *opt = find_option(word, len);
	if (!opt)
		return vmm_err("unknown option '%s' (see vmm --help)", argv[*i]);
	const char *arg = NULL;
	if (opt->arg && eq) {
		arg = eq + 1;
	} else if (opt->arg && opt->arg_optional) {
		if (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2) != 0)
			arg = argv[++*i];
	} else if (opt->arg) {
		if (*i + 1 >= argc)
			return vmm_err("option --%s needs a value (%s)", opt->name, opt->arg);
		arg = argv[++*i];
	} else if (eq) {
		return vmm_err("option --%s takes no value", opt->name);
	}
	return opt->apply(opts, arg);
}

enum options_result options_parse(int argc, char **argv, struct vmm_options *opts)
{
	*opts = (struct vmm_options){.mem_size = VMM_DEFAULT_MEM, .cpus = 1};
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			options_usage(stdout);
			return OPTIONS_EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("vmm %s (isolab)\n", VMM_VERSION);
			return OPTIONS_EXIT_OK;
		}
		if (strncmp(argv[i], "--", 2) != 0) {
			vmm_err("unexpected argument '%s' (see vmm --help)", argv[i]);
			return OPTIONS_ERROR;
		}
		if (parse_one(argc, argv, &i, opts) < 0)
			return OPTIONS_ERROR;
	}
	if (opts->restore_eager && !opts->restore) {
		vmm_err("--restore-eager needs --restore DIR");
		return OPTIONS_ERROR;
	}
	if (opts->restore && (opts->kernel || opts->firmware || opts->initrd)) {
		vmm_err("--restore takes the guest from the snapshot: no --kernel, --initrd or "
			"--firmware with it");
		return OPTIONS_ERROR;
	}
	if (opts->incoming && opts->restore) {
		vmm_err("--incoming and --restore both bring a guest: give one");
		return OPTIONS_ERROR;
	}
	/* The source's command line works as it is: its --kernel or --firmware is not loaded. */
	if (!opts->restore && !(opts->incoming && !opts->kernel && !opts->firmware) &&
	    !opts->kernel == !opts->firmware) {
		vmm_err(opts->kernel ? "give either --kernel or --firmware, not both"
				     : "no kernel given: use --kernel FILE (see vmm --help)");
		return OPTIONS_ERROR;
	}
	if (opts->initrd && !opts->kernel) {
		vmm_err("--initrd needs --kernel");
		return OPTIONS_ERROR;
	}
	return OPTIONS_RUN;
}

int parse_int(const char *text, int min, int max, int *value)
{
	if (!text || *text < '0' || *text > '9')
		return -1;
	errno = 0;
	char *end;
	long v = strtol(text, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -1;
	*value = (int)v;
	return 0;
}
