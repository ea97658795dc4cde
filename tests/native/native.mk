# Native tier: tiny guests built here, run on the host's /dev/kvm.
GUEST_DIR := $(BUILD)/tests/guests
NATIVE_GUESTS := $(GUEST_DIR)/long64.elf $(GUEST_DIR)/long64-triple.elf \
                 $(GUEST_DIR)/prot32.elf $(GUEST_DIR)/real16.bin \
                 $(GUEST_DIR)/virtio-hostile.elf $(GUEST_DIR)/observe.elf

$(GUEST_DIR)/long64.elf: tests/native/guests/long64.S
	@mkdir -p $(dir $@)
	$(CC) -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

$(GUEST_DIR)/long64-triple.elf: tests/native/guests/long64.S
	@mkdir -p $(dir $@)
	$(CC) -DTRIPLE_FAULT -c -o $@.o $<
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

# Freestanding C guests: no libc, and no SSE (warden's long-mode entry
# leaves CR4.OSFXSR clear, so SSE instructions would fault).
GUEST_CFLAGS := -m64 -O2 -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone \
                -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
                -Wall -Wextra -Werror -Isrc

$(GUEST_DIR)/virtio-hostile.elf: tests/native/guests/virtio_hostile.c src/virtio/virtio_spec.h
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

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

# Hides chosen KVM capabilities (`warden bench exits` rows skipped: bench_exits.sh).
$(BUILD)/tests/fake-kvm-caps.so: tests/native/fake_kvm_caps.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -Werror -o $@ $< -ldl

native-test: $(BUILD)/tests/fake-kvm-caps.so
