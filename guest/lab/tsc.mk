# The built-in guest of `warden lab tsc` (guest/lab/tsc.c): a freestanding
# ELF that warden embeds (src/lab/tsc_blob.S includes it byte for byte).
# Included by the Makefile, which adds the blob to every build of warden.
TSC_GUEST_ELF := $(BUILD)/lab/tsc-guest.elf
TSC_GUEST_CFLAGS := -m64 -O2 -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone \
                    -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
                    -Wall -Wextra -Werror -Wno-main -Isrc -Iguest/lab

$(TSC_GUEST_ELF): guest/lab/tsc.c guest/lab/x86.h guest/lab/ring3.h src/lab/tsc_abi.h src/core/layout.h
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	@$(CC) $(TSC_GUEST_CFLAGS) -c -o $@.o $<
	@ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

TSC_BLOBS := $(BUILD)/obj/lab/tsc_blob.o $(BUILD)/asan/obj/lab/tsc_blob.o \
             $(BUILD)/static/obj/lab/tsc_blob.o
$(TSC_BLOBS): src/lab/tsc_blob.S $(TSC_GUEST_ELF)
	@mkdir -p $(dir $@)
	@echo "  AS      $@"
	@$(CC) -c -DTSC_GUEST_ELF='"$(TSC_GUEST_ELF)"' -o $@ $<
