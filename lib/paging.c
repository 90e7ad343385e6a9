/*
 * The optional built-in page walker (EMU_MODEL_BUILTIN_PAGING), for embedders that only give
 * physical-memory callbacks.  lib/mem.c and the fetch path call it behind one flag test.
 *
 *  - 32-bit paging (CR4.PAE = 0): 4 KiB pages, 4 MiB pages with CR4.PSE (PSE-36: PDE bits 20:13
 *    are physical bits 39:32); no NX.
 *  - PAE paging (legacy): the 4 PDPTEs read at use (modern AMD; a PDPTE with reserved bits is a
 *    #PF with RSVD here, Intel would have refused the MOV CR3 with #GP), 2 MiB pages.
 *  - 4-level and 5-level paging (EFER.LMA, CR4.LA57): 2 MiB and 1 GiB pages (1 GiB only with
 *    PDPE1GB, else PS at the PDPT level is reserved).
 *  - Reserved bits: physical-address bits at or above MAXPHYADDR (below bit 52), bit 63 when
 *    EFER.NXE = 0, PS in PML4E/PML5E, the low address bits of large pages -> #PF with P|RSVD.
 *  - Rights are the AND of R/W and U/S over the levels (PAE PDPTEs carry none), NX the OR.
 *    User access to a supervisor page, writes to read-only pages (supervisor ones only with
 *    CR0.WP), fetches from NX pages, SMEP (supervisor fetch from a user page), SMAP
 *    (supervisor data access to a user page when implicit or RFLAGS.AC = 0) and protection
 *    keys (user pages, data accesses, 4/5-level paging: PKRU.AD, and PKRU.WD for writes by
 *    user code or with CR0.WP) fault with P set.
 *  - Error code: P, W (writes, and the read half of a read-modify-write), U (CPL 3 and not an
 *    implicit supervisor access), RSVD, I (fetches, when NX or SMEP is enabled), PK.
 *  - Accessed bits on every entry used, and the dirty bit of the leaf on a write, are set once
 *    the translation succeeds, atomically with cmpxchg_phys; if an entry changed meanwhile the
 *    walk starts again.  They are set at translation time, before the instruction retires (a
 *    later fault of the same instruction leaves them set, as on hardware).
 */
#include "internal.h"

static enum emu_status page_fault(struct emu_ctx *ctx, uint64_t la, uint32_t ec)
{
    emu_raise(ctx, EMU_PF, 1, ec);
    ctx->result.exception.cr2 = la;
    return EMU_EXCEPTION;
}

static enum emu_status rd(struct emu_ctx *ctx, uint64_t pa, unsigned n, uint64_t *v)
{
    uint8_t b[8];
    if (!ctx->ops->read_phys) return emu_unhandled(ctx, "missing callback: read_phys");
    if (ctx->ops->read_phys(ctx->opaque, pa, b, n) != EMU_CB_OK) return emu_unhandled(ctx, "read_phys failed");
    *v = emu_load_le(b, n);
    return EMU_OK;
}

/* Set bits in an entry: 1 if done, 0 if the entry changed under us. */
static enum emu_status update(struct emu_ctx *ctx, uint64_t pa, unsigned n, uint64_t old, uint64_t nv, int *done)
{
    uint8_t e[8], d[8];
    emu_store_le(e, old, n);
    emu_store_le(d, nv, n);
    *done = 1;
    if (ctx->ops->cmpxchg_phys) {
        if (ctx->ops->cmpxchg_phys(ctx->opaque, pa, e, d, n, done) != EMU_CB_OK)
            return emu_unhandled(ctx, "cmpxchg_phys failed");
        return EMU_OK;
    }
    if (!ctx->ops->write_phys) return emu_unhandled(ctx, "missing callback: write_phys");
    if (ctx->ops->write_phys(ctx->opaque, pa, d, n) != EMU_CB_OK) return emu_unhandled(ctx, "write_phys failed");
    return EMU_OK;
}

enum emu_status emu_translate(struct emu_ctx *ctx, uint64_t la, unsigned flags, uint64_t *pa)
{
    uint64_t cr0, cr4, efer, cr3;
    TRY(emu_get_cr0(ctx, &cr0));
    if (!(cr0 & EMU_CR0_PG)) {
        *pa = la;
        return EMU_OK;
    }
    TRY(emu_get_cr4(ctx, &cr4));
    TRY(emu_get_efer(ctx, &efer));
    if (!ctx->ops->get_cr || ctx->ops->get_cr(ctx->opaque, 3, &cr3) != EMU_CB_OK)
        return emu_unhandled(ctx, "reading CR3 failed");

    const int user = (flags & EMU_MEM_USER) && !(flags & EMU_MEM_IMPLICIT);
    const int write = (flags & (EMU_MEM_WRITE | EMU_MEM_RMW)) != 0;
    const int fetch = (flags & EMU_MEM_FETCH) != 0;
    const int pae = (cr4 & EMU_CR4_PAE) != 0, lma = (efer & EMU_EFER_LMA) != 0;
    const int nxe = pae && (efer & EMU_EFER_NXE);
    const unsigned M = ctx->cfg.maxphyaddr ? ctx->cfg.maxphyaddr : 48;
    const uint64_t pmask = ((1ull << M) - 1) & ~0xfffull;
    const uint64_t hi_rsvd = (((1ull << 52) - 1) & ~((1ull << M) - 1)) | (nxe ? 0 : 1ull << 63);
    uint32_t ec = (write ? EMU_PF_W : 0) | (user ? EMU_PF_U : 0);
    if (fetch && ((cr4 & EMU_CR4_SMEP) || nxe)) ec |= EMU_PF_I;

    for (unsigned tries = 0; tries < 16; tries++) {
        uint64_t epa[5], ent[5];
        unsigned esz[5], n = 0;
        int us = 1, rw = 1, xd = 0;
        uint64_t leaf = 0;

        if (!pae) {
            uint64_t e = 0, a = (cr3 & 0xfffff000ull) + ((la >> 22) & 0x3ff) * 4;
            TRY(rd(ctx, a, 4, &e));
            if (!(e & 1)) return page_fault(ctx, la, ec);
            epa[n] = a, ent[n] = e, esz[n++] = 4;
            us &= (e >> 2) & 1;
            rw &= (e >> 1) & 1;
            if ((e & 0x80) && (cr4 & EMU_CR4_PSE)) {
                uint64_t rs = 1ull << 21;
                if (M < 40) rs |= ((1ull << 21) - 1) & ~((1ull << (13 + M - 32)) - 1);
                if (e & rs) return page_fault(ctx, la, ec | EMU_PF_P | EMU_PF_RSVD);
                *pa = (e & 0xffc00000ull) | (((e >> 13) & 0xff) << 32) | (la & 0x3fffff);
                leaf = e;
            } else {
                a = (e & 0xfffff000ull) + ((la >> 12) & 0x3ff) * 4;
                TRY(rd(ctx, a, 4, &e));
                if (!(e & 1)) return page_fault(ctx, la, ec);
                epa[n] = a, ent[n] = e, esz[n++] = 4;
                us &= (e >> 2) & 1;
                rw &= (e >> 1) & 1;
                *pa = (e & 0xfffff000ull) | (la & 0xfff);
                leaf = e;
            }
        } else {
            int levels, top_pdpt = 0;
            uint64_t table;
            if (lma) {
                levels = (cr4 & EMU_CR4_LA57) ? 5 : 4;
                table = cr3 & pmask;
            } else {
                levels = 3;
                top_pdpt = 1;
                table = cr3 & 0xffffffe0ull;
            }
            for (int lv = levels; lv >= 1; lv--) {
                const unsigned shift = 12 + 9 * (unsigned)(lv - 1);
                const uint64_t idx = top_pdpt && lv == 3 ? (la >> 30) & 3 : (la >> shift) & 511;
                uint64_t e = 0;
                const uint64_t a = table + idx * 8;
                TRY(rd(ctx, a, 8, &e));
                if (!(e & 1)) return page_fault(ctx, la, ec);
                uint64_t rs;
                if (top_pdpt && lv == 3) {
                    rs = (~0ull << M) | 0x1e6; /* PAE PDPTE: 63:M, 8:5, 2:1 */
                } else {
                    rs = hi_rsvd;
                    if (lv >= 4) rs |= 0x80; /* PS in PML4E/PML5E */
                }
                const int ps = lv <= 3 && !(top_pdpt && lv == 3) && (e & 0x80);
                if (ps) {
                    if (lv == 3 && !emu_has(ctx, EMU_FEAT_PDPE1GB)) rs |= 0x80;
                    else rs |= ((1ull << shift) - 1) & ~0x1fffull; /* large-page address bits */
                }
                if (e & rs) return page_fault(ctx, la, ec | EMU_PF_P | EMU_PF_RSVD);
                epa[n] = a, ent[n] = e, esz[n++] = top_pdpt && lv == 3 ? 0 : 8;
                if (!(top_pdpt && lv == 3)) {
                    us &= (e >> 2) & 1;
                    rw &= (e >> 1) & 1;
                    if (nxe && (e >> 63)) xd = 1;
                }
                if (ps || lv == 1) {
                    const uint64_t pg = (1ull << shift) - 1;
                    *pa = (e & pmask & ~pg) | (la & pg);
                    leaf = e;
                    break;
                }
                table = e & pmask;
            }
        }

        /* Rights. */
        const uint32_t pv = ec | EMU_PF_P;
        if (user && !us) return page_fault(ctx, la, pv);
        if (write && !rw && (user || (cr0 & EMU_CR0_WP))) return page_fault(ctx, la, pv);
        if (fetch) {
            if (xd) return page_fault(ctx, la, pv);
            if (!user && us && (cr4 & EMU_CR4_SMEP)) return page_fault(ctx, la, pv);
        } else {
            if (!user && us && (cr4 & EMU_CR4_SMAP) &&
                ((flags & EMU_MEM_IMPLICIT) || !(flags & EMU_MEM_AC)))
                return page_fault(ctx, la, pv);
            if (lma && us && (cr4 & EMU_CR4_PKE)) {
                uint32_t pkru = 0;
                if (ctx->ops->get_pkru && ctx->ops->get_pkru(ctx->opaque, &pkru) != EMU_CB_OK)
                    return emu_unhandled(ctx, "get_pkru failed");
                const unsigned key = (unsigned)((leaf >> 59) & 15);
                const int ad = (pkru >> (2 * key)) & 1, wd = (pkru >> (2 * key + 1)) & 1;
                if (ad || (write && wd && (user || (cr0 & EMU_CR0_WP))))
                    return page_fault(ctx, la, pv | EMU_PF_PK);
            }
        }

        /* Accessed bits on the way down, dirty on the leaf for writes. */
        int restart = 0;
        for (unsigned i = 0; i < n && !restart; i++) {
            if (!esz[i]) continue; /* PAE PDPTEs have no A bit here */
            uint64_t nv = ent[i] | 0x20;
            if (i == n - 1 && write) nv |= 0x40;
            if (nv == ent[i]) continue;
            int done;
            TRY(update(ctx, epa[i], esz[i], ent[i], nv, &done));
            if (!done) restart = 1;
        }
        if (!restart) return EMU_OK;
    }
    return emu_unhandled(ctx, "page-table entries kept changing during the walk");
}

enum emu_status emu_paging_read(struct emu_ctx *ctx, uint64_t la, void *buf, unsigned size, unsigned flags)
{
    uint8_t *p = buf;
    if (!ctx->ops->read_phys) return emu_unhandled(ctx, "missing callback: read_phys");
    while (size) {
        unsigned chunk = 4096 - (unsigned)(la & 4095);
        if (chunk > size) chunk = size;
        uint64_t pa;
        TRY(emu_translate(ctx, la, flags, &pa));
        if (ctx->ops->read_phys(ctx->opaque, pa, p, chunk) != EMU_CB_OK)
            return emu_unhandled(ctx, "read_phys failed");
        la += chunk;
        p += chunk;
        size -= chunk;
        if (!emu_is64(ctx)) la &= 0xffffffffull;
    }
    return EMU_OK;
}

/* Translate (faults now) and buffer physical writes for the commit. */
enum emu_status emu_paging_write(struct emu_ctx *ctx, uint64_t la, const void *buf, unsigned size, unsigned flags)
{
    const uint8_t *p = buf;
    struct emu_scratch *s = &ctx->s;
    while (size) {
        unsigned chunk = 4096 - (unsigned)(la & 4095);
        if (chunk > size) chunk = size;
        uint64_t pa;
        TRY(emu_translate(ctx, la, flags | EMU_MEM_WRITE, &pa));
        if (s->nwrites >= EMU_MAX_WRITES || s->wbytes + chunk > EMU_MAX_WRITE_BYTES)
            return emu_unhandled(ctx, "too many memory writes in one instruction");
        struct emu_wlog *w = &s->writes[s->nwrites++];
        w->la = pa;
        w->off = s->wbytes;
        w->size = (uint8_t)chunk;
        w->flags = (uint8_t)(flags | EMU_MEM_WRITE);
        w->locked = 0;
        w->phys = 1;
        __builtin_memcpy(&s->wdata[s->wbytes], p, chunk);
        s->wbytes = (uint16_t)(s->wbytes + chunk);
        la += chunk;
        p += chunk;
        size -= chunk;
        if (!emu_is64(ctx)) la &= 0xffffffffull;
    }
    return EMU_OK;
}
