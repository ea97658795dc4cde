# Native tier: tiny guests built here, run on the host's /dev/kvm.
GUEST_DIR := $(BUILD)/tests/guests
NATIVE_GUESTS := $(GUEST_DIR)/long64.elf $(GUEST_DIR)/long64-triple.elf \
                 $(GUEST_DIR)/prot32.elf $(GUEST_DIR)/real16.bin \
                 $(GUEST_DIR)/virtio-hostile.elf $(GUEST_DIR)/virtio-pci.elf $(GUEST_DIR)/observe.elf \
                 $(GUEST_DIR)/multiboot.elf $(GUEST_DIR)/multiboot-aout.bin $(GUEST_DIR)/multiboot-video.elf
NATIVE_GUESTS += $(GUEST_DIR)/cpuid-nested.bin $(GUEST_DIR)/rtc-uie.bin
NATIVE_GUESTS += $(GUEST_DIR)/s3-resume.elf $(GUEST_DIR)/s3-s5.elf $(GUEST_DIR)/s3-no-wake.elf
NATIVE_GUESTS += $(GUEST_DIR)/long64-emufail.elf
NATIVE_GUESTS += $(GUEST_DIR)/virtio-blk-mq.elf
NATIVE_GUESTS += $(GUEST_DIR)/virtio-blk-swap.elf
NATIVE_GUESTS += $(GUEST_DIR)/edu-iommu.elf

$(GUEST_DIR)/long64-emufail.elf: tests/native/guests/long64.S
	@mkdir -p $(dir $@)
	$(CC) -DEMU_FAIL -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

$(GUEST_DIR)/long64.elf: tests/native/guests/long64.S
	@mkdir -p $(dir $@)
	$(CC) -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

$(GUEST_DIR)/long64-triple.elf: tests/native/guests/long64.S
	@mkdir -p $(dir $@)
	$(CC) -DTRIPLE_FAULT -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

$(GUEST_DIR)/s3-resume.elf: tests/native/guests/s3_resume.S
	@mkdir -p $(dir $@)
	$(CC) -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

$(GUEST_DIR)/s3-s5.elf: tests/native/guests/s3_resume.S
	@mkdir -p $(dir $@)
	$(CC) -DS5 -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

$(GUEST_DIR)/s3-no-wake.elf: tests/native/guests/s3_resume.S
	@mkdir -p $(dir $@)
	$(CC) -DNO_WAKE -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

$(GUEST_DIR)/observe.elf: tests/native/guests/observe.S
	@mkdir -p $(dir $@)
	$(CC) -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

$(GUEST_DIR)/prot32.elf: tests/native/guests/prot32.S
	@mkdir -p $(dir $@)
	$(CC) -m32 -c -o $@.o $<
	ld -m elf_i386 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

$(GUEST_DIR)/real16.bin: tests/native/guests/real16.S
	@mkdir -p $(dir $@)
	$(CC) -m32 -c -o $@.o $<
	ld -m elf_i386 -static -nostdlib -Ttext=0x7c00 -e _start --oformat binary -o $@ $@.o

$(GUEST_DIR)/cpuid-nested.bin: tests/native/guests/cpuid_nested.S
	@mkdir -p $(dir $@)
	$(CC) -m32 -c -o $@.o $<
	ld -m elf_i386 -static -nostdlib -Ttext=0x7c00 -e _start --oformat binary -o $@ $@.o

$(GUEST_DIR)/rtc-uie.bin: tests/native/guests/rtc_uie.S
	@mkdir -p $(dir $@)
	$(CC) -m32 -c -o $@.o $<
	ld -m elf_i386 -static -nostdlib -Ttext=0x7c00 -e _start --oformat binary -o $@ $@.o

# Freestanding C guests: no libc, and no SSE (warden's long-mode entry
# leaves CR4.OSFXSR clear, so SSE instructions would fault).
GUEST_CFLAGS := -m64 -O2 -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone \
                -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
                -Wall -Wextra -Werror -Isrc

$(GUEST_DIR)/virtio-hostile.elf: tests/native/guests/virtio_hostile.c src/virtio/virtio_spec.h
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

$(GUEST_DIR)/virtio-blk-mq.elf: tests/native/guests/virtio_blk_mq.c tests/native/guests/guest_rt.h src/virtio/virtio_spec.h
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

$(GUEST_DIR)/virtio-blk-swap.elf: tests/native/guests/virtio_blk_swap.c tests/native/guests/guest_rt.h src/virtio/virtio_spec.h
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

$(GUEST_DIR)/edu-iommu.elf: tests/native/guests/edu_iommu.c tests/native/guests/guest_rt.h
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

$(GUEST_DIR)/virtio-pci.elf: tests/native/guests/virtio_pci_guest.c src/virtio/virtio_spec.h
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

# The multiboot guest: a 32-bit entry with the header, then C.
MB_CFLAGS := -m32 -O2 -ffreestanding -nostdlib -fno-pic -fno-pie -mgeneral-regs-only \
             -fno-stack-protector -fno-asynchronous-unwind-tables -Wall -Wextra -Werror
$(GUEST_DIR)/multiboot.o: tests/native/guests/multiboot.c
	@mkdir -p $(dir $@)
	$(CC) $(MB_CFLAGS) -c -o $@ $<
$(GUEST_DIR)/multiboot.elf: tests/native/guests/multiboot_start.S $(GUEST_DIR)/multiboot.o
	$(CC) -m32 -c -o $@.start.o $<
	ld -m elf_i386 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.start.o $(GUEST_DIR)/multiboot.o
$(GUEST_DIR)/multiboot-video.elf: tests/native/guests/multiboot_start.S $(GUEST_DIR)/multiboot.o
	$(CC) -m32 -DVIDEO -c -o $@.start.o $<
	ld -m elf_i386 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.start.o $(GUEST_DIR)/multiboot.o
# A flat binary that only the header's a.out-kludge addresses can place.
$(GUEST_DIR)/multiboot-aout.bin: tests/native/guests/multiboot_start.S $(GUEST_DIR)/multiboot.o
	$(CC) -m32 -DAOUT -c -o $@.start.o $<
	ld -m elf_i386 -static -nostdlib -Ttext=0x100000 -e _start -o $@.elf $@.start.o $(GUEST_DIR)/multiboot.o
	objcopy -O binary $@.elf $@

native-guests: $(NATIVE_GUESTS)

native-test: all asan native-guests guest
	NATIVE_BUILD=$(BUILD) bash tests/native/run.sh

$(BUILD)/tests/fake-kvm-api.so: tests/native/fake_kvm_api.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -Werror -o $@ $< -ldl

native-test: $(BUILD)/tests/fake-kvm-api.so

# An independent KVM_CHECK_EXTENSION for the `warden caps` checks (caps.sh).
$(BUILD)/tests/kvm-check-ext: tests/native/kvm_check_ext.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

native-test: $(BUILD)/tests/kvm-check-ext

# Logs the names warden gives its threads (thread_names.c; run.sh checks
# them against WARDEN_THREADS in tests/lib.sh).
$(BUILD)/tests/thread-names.so: tests/native/thread_names.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -Werror -o $@ $< -ldl

native-test: $(BUILD)/tests/thread-names.so

# The hypercall interface (docs/hypercall.md): the test guest and the
# guest library it is linked with (freestanding, like the guests above).
HC_GUEST_CFLAGS := $(GUEST_CFLAGS) -Iinclude -Iguestlib -Itests/native/guests

$(GUEST_DIR)/whc.o: guestlib/whc.c guestlib/whc.h include/warden/hypercall.h
	@mkdir -p $(dir $@)
	$(CC) $(HC_GUEST_CFLAGS) -c -o $@ $<

$(GUEST_DIR)/hypercall-test.elf: tests/native/guests/hypercall_test.c tests/native/guests/guest_rt.h \
		$(GUEST_DIR)/whc.o
	@mkdir -p $(dir $@)
	$(CC) $(HC_GUEST_CFLAGS) -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o $(GUEST_DIR)/whc.o

native-guests: $(GUEST_DIR)/hypercall-test.elf

$(BUILD)/tests/fake-eio.so: tests/native/fake_eio.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -Werror -o $@ $< -ldl

native-test: $(BUILD)/tests/fake-eio.so

# Hides chosen KVM capabilities (`warden bench exits` rows skipped: bench_exits.sh).
$(BUILD)/tests/fake-kvm-caps.so: tests/native/fake_kvm_caps.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -Werror -o $@ $< -ldl

native-test: $(BUILD)/tests/fake-kvm-caps.so

# Snapshots (tests/native/snapshot.sh): a counting guest on the runtime above.
$(GUEST_DIR)/snapshot-counter.elf: tests/native/guests/snapshot_counter.c tests/native/guests/guest_rt.h
	@mkdir -p $(dir $@)
	$(CC) $(HC_GUEST_CFLAGS) -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

native-guests: $(GUEST_DIR)/snapshot-counter.elf

# The IOAPIC, KVM's and warden's own (tests/native/ioapic.sh).
$(GUEST_DIR)/ioapic-split.elf: tests/native/guests/ioapic_split.c tests/native/guests/guest_rt.h
	@mkdir -p $(dir $@)
	$(CC) $(HC_GUEST_CFLAGS) -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

native-guests: $(GUEST_DIR)/ioapic-split.elf

# virtio-vsock (tests/native/vsock.sh): a bare-metal vsock driver, and the
# host side (static: the emulated tier runs it in L1 too, from
# /extra/guests).
$(GUEST_DIR)/vsock-guest.elf: tests/native/guests/vsock_guest.c tests/native/guests/guest_rt.h \
		tests/native/guests/vsock_exchange.h src/virtio/virtio_spec.h
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -Itests/native/guests -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

$(GUEST_DIR)/vsock-host: tests/native/vsock_host.c tests/native/guests/vsock_exchange.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -static -D_GNU_SOURCE -Wall -Wextra -Werror -Itests/native -o $@ $<

native-guests: $(GUEST_DIR)/vsock-guest.elf $(GUEST_DIR)/vsock-host
