# The built-in guest of `warden lab paging` (guest/lab/paging.c): a freestanding
# ELF that warden embeds (src/lab/paging_blob.S includes it byte for byte).
# Included by the Makefile, which adds the blob to every build of warden.
PAGING_GUEST_ELF := $(BUILD)/lab/paging-guest.elf
PAGING_GUEST_CFLAGS := -m64 -O2 -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone \
                    -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
                    -Wall -Wextra -Werror -Wno-main -Isrc -Iguest/lab

$(PAGING_GUEST_ELF): guest/lab/paging.c guest/lab/x86.h guest/lab/ring3.h src/lab/paging_abi.h src/core/layout.h
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	@$(CC) $(PAGING_GUEST_CFLAGS) -c -o $@.o $<
	@ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

PAGING_BLOBS := $(BUILD)/obj/lab/paging_blob.o $(BUILD)/asan/obj/lab/paging_blob.o \
             $(BUILD)/static/obj/lab/paging_blob.o
$(PAGING_BLOBS): src/lab/paging_blob.S $(PAGING_GUEST_ELF)
	@mkdir -p $(dir $@)
	@echo "  AS      $@"
	@$(CC) -c -DPAGING_GUEST_ELF='"$(PAGING_GUEST_ELF)"' -o $@ $<
