"""tf.summary: summary ops, FileWriter and the event-file messages (public names only)."""
from tensorflux.formats.events import summary_iterator  # noqa: F401
from tensorflux.formats.protos import (Event, SessionLog, Summary,  # noqa: F401
                                       SummaryMetadata, TaggedRunMetadata)
from tensorflux.summary.summary_ops import (audio, histogram, image, merge,  # noqa: F401
                                            merge_all, scalar, tensor_summary, text)
from tensorflux.summary.writer import FileWriter, FileWriterCache  # noqa: F401
