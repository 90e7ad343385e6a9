/*
 * ALU: ADD OR ADC SBB AND SUB XOR CMP TEST, INC DEC NEG NOT.
 */
#include "internal.h"

EXEC(emu_exec_alu)
{
    const unsigned size = in->ops[0].size, op = in->op;
    const int writes = op != OP_CMP && op != OP_TEST;
    const uint64_t cf = (ctx->s.rflags & FL_CF) ? 1 : 0;
    uint64_t a, b, r, f;

    if (writes) TRY(emu_op_read_rmw(ctx, in, 0, &a));
    else TRY(emu_op_read(ctx, in, 0, &a));
    TRY(emu_op_read(ctx, in, 1, &b));
    r = emu_alu_compute(op, a, b, cf, size, &f);
    emu_set_flags(ctx, FL_ARITH, f);
    return writes ? emu_op_write(ctx, in, 0, r) : EMU_OK;
}

/* INC/DEC leave CF alone. */
EXEC(emu_exec_incdec)
{
    const unsigned size = in->ops[0].size;
    uint64_t a, r, f;
    TRY(emu_op_read_rmw(ctx, in, 0, &a));
    if (in->op == OP_INC) {
        r = a + 1;
        f = emu_flags_add(a, 1, 0, size);
    } else {
        r = a - 1;
        f = emu_flags_sub(a, 1, 0, size);
    }
    emu_set_flags(ctx, FL_ARITH & ~FL_CF, f);
    return emu_op_write(ctx, in, 0, r);
}

/* NEG: 0 - x; CF is set unless the operand was 0. */
EXEC(emu_exec_neg)
{
    const unsigned size = in->ops[0].size;
    uint64_t a;
    TRY(emu_op_read_rmw(ctx, in, 0, &a));
    emu_set_flags(ctx, FL_ARITH, emu_flags_sub(0, a, 0, size));
    return emu_op_write(ctx, in, 0, 0 - a);
}

EXEC(emu_exec_not)
{
    uint64_t a;
    TRY(emu_op_read_rmw(ctx, in, 0, &a));
    return emu_op_write(ctx, in, 0, ~a);
}
