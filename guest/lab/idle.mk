# The built-in guest of `warden lab idle` (guest/lab/idle.c, with the guest
# hypercall library guestlib/whc.c): a freestanding ELF that warden embeds
# (src/lab/idle_blob.S includes it byte for byte).  Included by the
# Makefile, which adds the blob to every build of warden.
IDLE_GUEST_ELF := $(BUILD)/lab/idle-guest.elf
IDLE_GUEST_CFLAGS := -m64 -O2 -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone \
                     -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
                     -Wall -Wextra -Werror -Isrc -Iinclude -Iguestlib

$(IDLE_GUEST_ELF): guest/lab/idle.c guest/lab/x86.h guestlib/whc.c guestlib/whc.h include/warden/hypercall.h \
                   src/lab/idle_abi.h src/core/layout.h
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	@$(CC) $(IDLE_GUEST_CFLAGS) -c -o $@.o $<
	@$(CC) $(IDLE_GUEST_CFLAGS) -c -o $@.whc.o guestlib/whc.c
	@ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o $@.whc.o

IDLE_BLOBS := $(BUILD)/obj/lab/idle_blob.o $(BUILD)/asan/obj/lab/idle_blob.o \
              $(BUILD)/static/obj/lab/idle_blob.o
$(IDLE_BLOBS): src/lab/idle_blob.S $(IDLE_GUEST_ELF)
	@mkdir -p $(dir $@)
	@echo "  AS      $@"
	@$(CC) -c -DIDLE_GUEST_ELF='"$(IDLE_GUEST_ELF)"' -o $@ $<
