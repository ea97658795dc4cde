# The built-in guest of `warden lab batching` (guest/lab/batching.c, with
# the hypercall guest library guestlib/whc.c): a freestanding ELF that
# warden embeds (src/lab/batching_blob.S includes it byte for byte).
# Included by the Makefile, which adds the blob to every build of warden.
BATCHING_GUEST_ELF := $(BUILD)/lab/batching-guest.elf
BATCHING_GUEST_CFLAGS := -m64 -O2 -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone \
                         -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
                         -Wall -Wextra -Werror -Wno-main -Isrc -Iinclude -Iguestlib -Iguest/lab

$(BATCHING_GUEST_ELF): guest/lab/batching.c guest/lab/x86.h guest/lab/ring3.h guestlib/whc.c guestlib/whc.h \
                       include/warden/hypercall.h src/lab/batching_abi.h src/core/layout.h
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	@$(CC) $(BATCHING_GUEST_CFLAGS) -c -o $@.o $<
	@$(CC) $(BATCHING_GUEST_CFLAGS) -c -o $@.whc.o guestlib/whc.c
	@ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o $@ $@.o $@.whc.o

BATCHING_BLOBS := $(BUILD)/obj/lab/batching_blob.o $(BUILD)/asan/obj/lab/batching_blob.o \
                  $(BUILD)/static/obj/lab/batching_blob.o
$(BATCHING_BLOBS): src/lab/batching_blob.S $(BATCHING_GUEST_ELF)
	@mkdir -p $(dir $@)
	@echo "  AS      $@"
	@$(CC) -c -DBATCHING_GUEST_ELF='"$(BATCHING_GUEST_ELF)"' -o $@ $<
