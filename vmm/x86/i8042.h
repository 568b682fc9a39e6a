/* Enough of the PC keyboard controller for Linux's reboot=k (and its probe). */
#ifndef VMM_X86_I8042_H
#define VMM_X86_I8042_H

struct vm;
struct i8042;

struct i8042 *i8042_create(struct vm *vm);
void i8042_destroy(struct i8042 *kbc);

#endif
