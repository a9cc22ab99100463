"""tf.train: optimizers, savers, queue runners, input producers (public names only)."""
from tensorflux.training.optimizer import Optimizer  # noqa: F401,E402
from tensorflux.training.optimizers import *  # noqa: F401,F403,E402
from tensorflux.training.learning_rate import *  # noqa: F401,F403,E402
from tensorflux.training.training_util import *  # noqa: F401,F403,E402
