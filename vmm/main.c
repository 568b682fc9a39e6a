/*
 * vmm: boots a Linux kernel (or a firmware payload) on /dev/kvm with nothing
 * but KVM ioctls. main() reads the options, builds the machine, runs the
 * vCPUs until one of them asks to stop, and reports.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../firmware/isolab-abi.h"
#include "arch.h"
#include "console.h"
#include "event_loop.h"
#include "dev/serial.h"
#include "image_file.h"
#include "kvm.h"
#include "machine.h"
#include "memstat.h"
#include "migration/migration.h"
#include "monitor/machine.h"
#include "options.h"
#include "snapshot/snapshot.h"
#include "util.h"
#include "vcpu.h"
#include "virtio/virtio.h"

#define EXIT_USAGE 2

struct files {
	struct image_file kernel, initrd, firmware;
};

struct devices {
	struct serial *serial; /* the console UART; the arch's board owns it */
	struct console *console;
};

static int open_files(const struct vmm_options *opts, struct files *f)
{
	if (opts->restore || opts->incoming)
		return 0; /* the guest is in the snapshot, or comes from the migration */
	if (opts->firmware)
		return image_file_open(&f->firmware, opts->firmware, "firmware");
	if (image_file_open(&f->kernel, opts->kernel, "kernel") < 0)
		return -1;
	if (opts->initrd && image_file_open(&f->initrd, opts->initrd, "initrd") < 0)
		return -1;
	if (f->initrd.size >= opts->mem_size)
		return vmm_err("initrd %s (%zu KiB) is larger than guest RAM (%" PRIu64
			       " KiB); give the guest more --mem",
			       opts->initrd, f->initrd.size >> 10, opts->mem_size >> 10);
	return 0;
}

static void close_files(struct files *f)
{
	image_file_close(&f->kernel);
	image_file_close(&f->initrd);
	image_file_close(&f->firmware);
}

/* -1, or VIRTIO_BAD_SPEC when an option's value is malformed (exit status 2). */
static int add_virtio(struct vm *vm, const struct vmm_options *o)
{
	int r = 0;
	for (int i = 0; i < o->nr_disks && r == 0; i++)
		r = virtio_blk_add(vm, o->disks[i]);
	for (int i = 0; i < o->nr_nets && r == 0; i++)
		r = virtio_net_add(vm, o->nets[i]);
	if (r == 0 && o->rng)
		r = virtio_rng_add(vm);
	if (r == 0 && o->hvc)
		r = virtio_console_add(vm, -1, STDOUT_FILENO);
	if (r == 0 && o->vsock)
		r = virtio_vsock_add(vm, o->vsock);
	if (r < 0)
		return r;
	if (o->nr_disks && !o->initrd &&
	    vm_cmdline_append(vm, "%s", virtio_blk_root_cmdline(vm)) < 0)
		return -1;
	return 0;
}

static int add_devices(struct vm *vm, struct devices *dev)
{
	dev->serial = arch_add_board_devices(vm, console_out_fd(dev->console));
	return dev->serial ? 0 : -1;
}

/* What the arch needs, then what devices added, then the user's text (which may end in "-- cmd").
 */
static int build_cmdline(struct vm *vm, const struct vmm_options *opts, char *buf, size_t size)
{
	char base[ARCH_CMDLINE_MAX];
	if (arch_cmdline_base(vm, base, sizeof(base)) < 0)
		return vmm_err("kernel command line is too long");
	int n =
	    snprintf(buf, size, "%s %s%s%s%s", base, ISOLAB_CMDLINE_TOKEN, vm_device_cmdline(vm),
		     opts->cmdline ? " " : "", opts->cmdline ? opts->cmdline : "");
	if (n < 0 || (size_t)n >= size)
		return vmm_err("kernel command line is too long");
	return 0;
}

static int load_guest(struct vm *vm, const struct vmm_options *opts, struct files *f,
		      struct restore_stats *restored)
{
	if (opts->restore)
		return snapshot_restore(vm, opts->restore, opts->restore_eager, restored);
	if (opts->firmware)
		return arch_load_firmware(vm, &f->firmware, opts->cmdline ? opts->cmdline : "");
	char cmdline[ARCH_CMDLINE_MAX];
	if (build_cmdline(vm, opts, cmdline, sizeof(cmdline)) < 0)
		return -1;
	return arch_load_linux(vm, &f->kernel, &f->initrd, cmdline);
}

static void print_virtio_info(void *vm, FILE *out)
{
	virtio_print_info(vm, out);
}

/*
 * --monitor: Ctrl-A c opens the prompt; unix:PATH serves the same commands on
 * a socket. Its `migrate` needs the VM's migration source (mig).
 */
static int start_monitor(struct vm *vm, const struct vmm_options *opts, struct console *con,
			 struct monitor **mon, struct migration **mig)
{
	if (!opts->monitor)
		return 0;
	*mon = monitor_for_vm(vm);
	if (!*mon)
		return vmm_err("out of memory");
	/* vhost-vsock writes guest memory in the kernel, where neither dirty log looks. */
	const char *unsupported =
	    opts->vsock ? "its vsock device (vhost writes guest RAM outside the dirty log)" : NULL;
	if (!(*mig = migration_create(vm, unsupported)))
		return -1;
	monitor_for_vm_allow_migration(*mon, *mig);
	if (virtio_has_devices(vm) &&
	    monitor_add_device_info(*mon, "virtio", print_virtio_info, vm) < 0)
		return vmm_err("monitor: no room for the virtio devices");
	if (opts->monitor_socket &&
	    monitor_serve_unix(*mon, vm_event_loop(vm), opts->monitor_socket) < 0)
		return -1;
	console_set_monitor(con, *mon);
	return 0;
}

static int run_vcpus(struct vm *vm)
{
	/* The vCPU threads inherit the stop signals blocked (console_catch_signals). */
	int started = 0;
	for (; started < vm_nr_vcpus(vm); started++) {
		if (vcpu_start(vm_vcpu(vm, started)) < 0) {
			vm_request_exit(vm, 1);
			break;
		}
	}
	for (int i = 0; i < started; i++)
		vcpu_join(vm_vcpu(vm, i));
	return vm_exit_status(vm);
}

/* How long a restore took, and how many page faults vmm took since (the guest's first touches). */
static void print_restore_stats(const struct restore_stats *r)
{
	fprintf(stderr,
		"restore_mode: %s\nrestore_us: %" PRIu64 "\nrestore_state_us: %" PRIu64
		"\nrestore_memory_us: %" PRIu64 "\n",
		r->eager ? "eager" : "lazy", r->total_us, r->state_us, r->memory_us);
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		fprintf(stderr, "vmm_minor_faults: %ld\nvmm_major_faults: %ld\n", ru.ru_minflt,
			ru.ru_majflt);
}

static void print_stats(struct vm *vm, const struct devices *dev, const struct restore_stats *r)
{
	fprintf(stderr, "first_kvm_run_ms: %" PRId64 "\n", vcpu_first_run_ms(vm_vcpu(vm, 0)));
	if (r->total_us)
		print_restore_stats(r);
	int64_t marker = vm_marker_ms(vm);
	if (marker >= 0)
		fprintf(stderr, "userspace_marker_ms: %" PRId64 "\n", marker);
	for (int i = 0; i < vm_nr_vcpus(vm); i++)
		vcpu_print_exit_stats(vm_vcpu(vm, i), stderr);
	fprintf(stderr, "serial_tx_bytes: %" PRIu64 "\n", serial_tx_bytes(dev->serial));
	vm_print_device_stats(vm, stderr);
	struct memstat mem;
	if (memstat_read(vm_mem(vm), &mem) == 0)
		fprintf(stderr,
			"vmm_private_kib: %" PRIu64 "\nvmm_private_anon_kib: %" PRIu64
			"\nguest_ram_touched_kib: %" PRIu64 "\n",
			mem.private_kib, mem.private_anon_kib, mem.guest_touched_kib);
	if (marker >= 0)
		fprintf(stderr, "vmm: guest userspace reached after %" PRId64 " ms\n", marker);
	else
		fprintf(stderr, "vmm: guest userspace never reached\n");
}

static int run(const struct vmm_options *opts, struct files *f, struct kvm_host *host)
{
	if (opts->cpus > host->max_vcpus)
		return vmm_err("--cpus %d is more than this host's KVM allows (%d)", opts->cpus,
			       host->max_vcpus);
	if (host->emulated && opts->kernel)
		vmm_warn("this host's KVM emulates guest kernel code (kvm_pvm, no VT-x/AMD-V): "
			 "a Linux boot takes minutes; hiding CPU features its emulator lacks");
	struct vm_config config = {
	    .mem_size = opts->mem_size, .pmu = opts->pmu, .dump_dtb = opts->dump_dtb};
	struct vm *vm = vm_create(host, &config);
	if (!vm)
		return -1;
	struct devices dev = {0};
	struct monitor *mon = NULL;
	struct migration *mig = NULL;
	struct migration_incoming *incoming = NULL;
	struct restore_stats restored = {0};
	int status = -1;
	if (opts->incoming)
		vm_set_incoming(vm); /* the source holds the disks until it hands the guest over */
	if (vcpus_create(vm, opts->cpus) < 0 || !(dev.console = console_open(opts->console)))
		goto out;
	int added = add_devices(vm, &dev) < 0 ? -1 : add_virtio(vm, opts);
	if (added < 0) {
		status = added == VIRTIO_BAD_SPEC ? EXIT_USAGE : -1;
		goto out;
	}
	/* An incoming migration brings RAM and CPU state instead of a boot. */
	int loaded = opts->incoming ? migration_receive(vm, opts->incoming, &incoming)
				    : load_guest(vm, opts, f, &restored);
	if (loaded != 0) {
		status = loaded > 0 ? vm_exit_status(vm) : -1;
		goto out;
	}
	close_files(f); /* the guest has its copy */
	if (start_monitor(vm, opts, dev.console, &mon, &mig) < 0)
		goto out;
	if (vcpu_init_kick_signal() < 0 || console_catch_signals(dev.console, vm) < 0 ||
	    console_start_input(dev.console, vm, dev.serial) < 0 ||
	    event_loop_start(vm_event_loop(vm)) < 0)
		goto out;
	if (incoming) {
		int confirmed = migration_confirm(incoming, opts->stats ? stderr : NULL);
		incoming = NULL;
		if (confirmed < 0)
			goto out;
	}
	status = run_vcpus(vm);
	event_loop_stop(vm_event_loop(vm)); /* devices, console and monitor go quiet */
	migration_cancel(mig);
	console_close(dev.console);
	if (opts->stats) {
		print_stats(vm, &dev, &restored);
		migration_print_stats(mig, stderr);
	}
out:
	migration_incoming_free(incoming);
	event_loop_stop(vm_event_loop(vm));
	migration_cancel(mig);
	virtio_shutdown(vm);
	migration_destroy(mig); /* no device marks pages any more */
	monitor_for_vm_destroy(mon);
	console_destroy(dev.console);
	vcpus_destroy(vm);
	vm_destroy(vm);
	return status;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "monitor") == 0)
		return monitor_client_main(argc - 1, argv + 1);
	struct vmm_options opts;
	switch (options_parse(argc, argv, &opts)) {
	case OPTIONS_EXIT_OK:
		return 0;
	case OPTIONS_ERROR:
		return EXIT_USAGE;
	case OPTIONS_RUN:
		break;
	}
	struct files files = {0};
	struct kvm_host host = {.fd = -1};
	int status = 1;
	if (open_files(&opts, &files) == 0 && kvm_host_open(&host) == 0) {
		int ret = run(&opts, &files, &host);
		status = ret < 0 ? 1 : ret;
	}
	close_files(&files);
	kvm_host_close(&host);
	return status;
}
