"""tf.graph_util: freezing and extracting GraphDefs (public names only)."""
from tensorflux.framework.graph_util_impl import (convert_variables_to_constants,  # noqa: F401
                                                  extract_sub_graph, must_run_on_cpu,
                                                  remove_training_nodes,
                                                  tensor_shape_from_node_def_name)
from tensorflux.framework.graph_io import import_graph_def  # noqa: F401
