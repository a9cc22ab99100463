"""tf.linalg: linear-algebra names (public names only)."""
from tensorflux.ops.array import matrix_diag as diag  # noqa: F401
from tensorflux.ops.array import matrix_diag_part as diag_part  # noqa: F401
from tensorflux.ops.math import adjoint, eye, matmul, norm, qr, tensordot, trace  # noqa: F401
from tensorflux.ops.math import matrix_band_part as band_part  # noqa: F401
from tensorflux.ops.math import matrix_determinant as det  # noqa: F401
from tensorflux.ops.math import matrix_inverse as inv  # noqa: F401
from tensorflux.ops.math import matrix_transpose as matrix_transpose  # noqa: F401
from tensorflux.ops.math import matrix_transpose as transpose  # noqa: F401

