# The built-in guest of `warden lab emulated-vs-virtio` (guest/lab/regpage.c):
# a freestanding ELF that warden embeds (src/lab/regpage_blob.S includes it
# byte for byte), so the experiment needs no file besides the binary.
# Included by the Makefile, which adds the blob to every build of warden.
REGPAGE_GUEST_ELF := $(BUILD)/lab/regpage-guest.elf
# No libc, no SSE (warden's long-mode entry leaves CR4.OSFXSR clear), no
# red zone.
REGPAGE_GUEST_CFLAGS := -m64 -O2 -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone \
                        -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
                        -Wall -Wextra -Werror -Wno-main -Isrc

$(REGPAGE_GUEST_ELF): guest/lab/regpage.c guest/lab/x86.h src/lab/regpage_lab_abi.h src/devices/regpage_abi.h src/core/layout.h
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	@$(CC) $(REGPAGE_GUEST_CFLAGS) -c -o $@.o $<
	@ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

REGPAGE_BLOBS := $(BUILD)/obj/lab/regpage_blob.o $(BUILD)/asan/obj/lab/regpage_blob.o \
                 $(BUILD)/static/obj/lab/regpage_blob.o
$(REGPAGE_BLOBS): src/lab/regpage_blob.S $(REGPAGE_GUEST_ELF)
	@mkdir -p $(dir $@)
	@echo "  AS      $@"
	@$(CC) -c -DREGPAGE_GUEST_ELF='"$(REGPAGE_GUEST_ELF)"' -o $@ $<
