# Native tier: tiny guests built here, run on the host's /dev/kvm.
GUEST_DIR := $(BUILD)/tests/guests
NATIVE_GUESTS := $(GUEST_DIR)/long64.elf $(GUEST_DIR)/long64-triple.elf \
                 $(GUEST_DIR)/prot32.elf $(GUEST_DIR)/real16.bin

$(GUEST_DIR)/long64.elf: tests/native/guests/long64.S
	@mkdir -p $(dir $@)
	$(CC) -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

$(GUEST_DIR)/long64-triple.elf: tests/native/guests/long64.S
	@mkdir -p $(dir $@)
	$(CC) -DTRIPLE_FAULT -c -o $@.o $<
	ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

$(GUEST_DIR)/prot32.elf: tests/native/guests/prot32.S
	@mkdir -p $(dir $@)
	$(CC) -m32 -c -o $@.o $<
	ld -m elf_i386 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

$(GUEST_DIR)/real16.bin: tests/native/guests/real16.S
	@mkdir -p $(dir $@)
	$(CC) -m32 -c -o $@.o $<
	ld -m elf_i386 -static -nostdlib -Ttext=0x7c00 -e _start --oformat binary -o $@ $@.o

native-guests: $(NATIVE_GUESTS)

native-test: all asan native-guests guest
	bash tests/native/run.sh

$(BUILD)/tests/fake-kvm-api.so: tests/native/fake_kvm_api.c
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -Werror -o $@ $< -ldl

native-test: $(BUILD)/tests/fake-kvm-api.so
