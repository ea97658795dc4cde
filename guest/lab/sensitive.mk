# The built-in guest of `warden lab sensitive` (guest/lab/sensitive.c): a
# freestanding ELF that warden embeds (src/lab/sensitive_blob.S includes it
# byte for byte).  Included by the Makefile, which adds the blob to every
# build of warden.
SENSITIVE_GUEST_ELF := $(BUILD)/lab/sensitive-guest.elf
SENSITIVE_GUEST_CFLAGS := -m64 -O2 -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone \
                          -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
                          -Wall -Wextra -Werror -Wno-main -Isrc

$(SENSITIVE_GUEST_ELF): guest/lab/sensitive.c guest/lab/x86.h src/lab/sensitive_abi.h src/core/layout.h
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	@$(CC) $(SENSITIVE_GUEST_CFLAGS) -c -o $@.o $<
	@ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o

SENSITIVE_BLOBS := $(BUILD)/obj/lab/sensitive_blob.o $(BUILD)/asan/obj/lab/sensitive_blob.o \
                   $(BUILD)/static/obj/lab/sensitive_blob.o
$(SENSITIVE_BLOBS): src/lab/sensitive_blob.S $(SENSITIVE_GUEST_ELF)
	@mkdir -p $(dir $@)
	@echo "  AS      $@"
	@$(CC) -c -DSENSITIVE_GUEST_ELF='"$(SENSITIVE_GUEST_ELF)"' -o $@ $<
