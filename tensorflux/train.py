"""tf.train: optimizers, savers, queue runners, input producers (public names only)."""
from tensorflux.training.optimizer import Optimizer  # noqa: F401,E402
from tensorflux.training.optimizers import *  # noqa: F401,F403,E402
from tensorflux.training.learning_rate import *  # noqa: F401,F403,E402
from tensorflux.training.training_util import *  # noqa: F401,F403,E402
from tensorflux.training.coordinator import Coordinator, LooperThread  # noqa: F401,E402
from tensorflux.training.queue_runner import *  # noqa: F401,F403,E402
from tensorflux.training.input import *  # noqa: F401,F403,E402
from tensorflux.formats.protos import (BytesList, Example, Feature, Features, FloatList,  # noqa: F401,E402
                                       Int64List)
from tensorflux.training.saver import Saver, export_meta_graph, import_meta_graph  # noqa: F401,E402
from tensorflux.training.checkpoint_management import *  # noqa: F401,F403,E402
from tensorflux.framework.graph_io import write_graph  # noqa: F401,E402
from tensorflux.formats.events import summary_iterator  # noqa: F401,E402
from tensorflux.formats.protos import CheckpointState, SaverDef  # noqa: F401,E402
from tensorflux.training import queue_runner  # noqa: F401,E402
from tensorflux.formats.protos import FeatureList, FeatureLists, SequenceExample  # noqa: F401,E402
