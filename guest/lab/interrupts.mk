# The built-in guest of `warden lab interrupts` (guest/lab/interrupts.c): a
# freestanding ELF that warden embeds (src/lab/interrupts_blob.S includes it
# byte for byte).  Included by the Makefile, which adds the blob to every
# build of warden.
INTERRUPTS_GUEST_ELF := $(BUILD)/lab/interrupts-guest.elf
INTERRUPTS_GUEST_CFLAGS := -m64 -O2 -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone \
                          -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
                          -Wall -Wextra -Werror -Wno-main -Isrc

$(INTERRUPTS_GUEST_ELF): guest/lab/interrupts.c guest/lab/x86.h src/lab/interrupts_abi.h src/core/layout.h
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	@$(CC) $(INTERRUPTS_GUEST_CFLAGS) -c -o $@.o $<
	@ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

INTERRUPTS_BLOBS := $(BUILD)/obj/lab/interrupts_blob.o $(BUILD)/asan/obj/lab/interrupts_blob.o \
                   $(BUILD)/static/obj/lab/interrupts_blob.o
$(INTERRUPTS_BLOBS): src/lab/interrupts_blob.S $(INTERRUPTS_GUEST_ELF)
	@mkdir -p $(dir $@)
	@echo "  AS      $@"
	@$(CC) -c -DINTERRUPTS_GUEST_ELF='"$(INTERRUPTS_GUEST_ELF)"' -o $@ $<
