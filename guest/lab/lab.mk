# The lab's built-in guest (guest/lab/exits.c): a freestanding ELF that
# warden embeds (src/lab/guest_blob.S includes it byte for byte), so
# `warden bench exits` needs no file besides its binary.  Included by the
# Makefile, which adds the blob to every build of warden.
LAB_GUEST_ELF := $(BUILD)/lab/exits-guest.elf
# No libc, no SSE (warden's long-mode entry leaves CR4.OSFXSR clear), no
# red zone (interrupts arrive on the same stack).
LAB_GUEST_CFLAGS := -m64 -O2 -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone \
                    -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
                    -Wall -Wextra -Werror -Isrc -Iinclude

$(LAB_GUEST_ELF): guest/lab/exits.c guest/lab/x86.h src/lab/exits_abi.h src/core/layout.h include/warden/hypercall.h
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	@$(CC) $(LAB_GUEST_CFLAGS) -c -o $@.o $<
	@ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

LAB_BLOBS := $(BUILD)/obj/lab/guest_blob.o $(BUILD)/asan/obj/lab/guest_blob.o \
             $(BUILD)/static/obj/lab/guest_blob.o
$(LAB_BLOBS): src/lab/guest_blob.S $(LAB_GUEST_ELF)
	@mkdir -p $(dir $@)
	@echo "  AS      $@"
	@$(CC) -c -DLAB_GUEST_ELF='"$(LAB_GUEST_ELF)"' -o $@ $<
