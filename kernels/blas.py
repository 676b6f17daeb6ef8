"""`dot_add(a, b, out)`: out += a @ b inside kernels, through the BLAS that Numba's np.dot calls.

np.dot can only overwrite its `out` (BLAS's beta = 0), so a kernel summing many block products
into one array (a convolution's weight gradient: one product per block of output pixels) had
to multiply into a temporary and add it: that addition cost the VGG-like's convolutions 10-20%
of their weight-gradient time. This calls the same BLAS entry point as np.dot (Numba's
`numba_xxgemm`, SciPy's gemm behind it, single-threaded inside kernels, see builder/threads.py)
with beta = 1, so compiled kernels that use it still cache.
"""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.extending import intrinsic
from numba.np.linalg import check_blas_return, ensure_blas, get_blas_kind

_CHAR = ir.IntType(8)
_VOID_P = _CHAR.as_pointer()
_GEMM = ir.FunctionType(ir.IntType(32), [
    _CHAR,  # kind
    _CHAR, _CHAR,  # transa, transb
    cgutils.intp_t, cgutils.intp_t, cgutils.intp_t,  # m, n, k
    _VOID_P, _VOID_P, cgutils.intp_t,  # alpha, a, lda
    _VOID_P, cgutils.intp_t, _VOID_P,  # b, ldb, beta
    _VOID_P, cgutils.intp_t,  # c, ldc
])


@intrinsic
def dot_add(typingctx, a, b, out):
    """out += a @ b for 2-D float arrays of one dtype: a and b C- or F-contiguous (a transposed
    view is fine), out C-contiguous; the shapes are the caller's to get right, and none of
    the dimensions may be 0."""
    for array in (a, b, out):
        if not isinstance(array, types.Array) or array.ndim != 2 or array.layout not in "CF":
            raise TypingError("dot_add takes 2-D C- or F-contiguous arrays")
    if out.layout != "C" or not a.dtype == b.dtype == out.dtype:
        raise TypingError("dot_add needs a C-contiguous out of the operands' dtype")
    kind = get_blas_kind(out.dtype, "dot_add")
    ensure_blas()

    def codegen(context, builder, signature, args):
        a_array, b_array, out_array = (context.make_array(ty)(context, builder, value)
                                       for ty, value in zip(signature.args, args))
        m, k = cgutils.unpack_tuple(builder, a_array.shape, 2)
        n = cgutils.unpack_tuple(builder, b_array.shape, 2)[1]

        def operand(ty, array, rows, columns):
            # BLAS is column-major: C-ordered out is out^T = b^T a^T there, so a C operand is
            # passed as it is and an F one (a transposed view) as transposed
            transposed = ir.Constant(_CHAR, ord("n" if ty.layout == "C" else "t"))
            leading = columns if ty.layout == "C" else rows
            return transposed, leading, builder.bitcast(array.data, _VOID_P)

        trans_b, ld_b, data_b = operand(signature.args[1], b_array, k, n)
        trans_a, ld_a, data_a = operand(signature.args[0], a_array, m, k)
        one = cgutils.alloca_once_value(builder, context.get_constant(out.dtype, 1.0))
        gemm = cgutils.get_or_insert_function(builder.module, _GEMM, "numba_xxgemm")
        result = builder.call(gemm, (ir.Constant(_CHAR, ord(kind)), trans_b, trans_a, n, m, k,
                                     builder.bitcast(one, _VOID_P), data_b, ld_b, data_a, ld_a,
                                     builder.bitcast(one, _VOID_P), builder.bitcast(out_array.data, _VOID_P), n))
        check_blas_return(context, builder, result)
        return context.get_dummy_value()

    return types.none(a, b, out), codegen
