import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

EXPECTED = """\
Tensor("Const:0", shape=(), dtype=int32)
Tensor("Const_1:0", shape=(3,), dtype=float32)
Tensor("Const_2:0", shape=(2, 2), dtype=string)
Tensor("Const_3:0", shape=(2, 3, 1), dtype=int32)
3
[3.  4.1 5.2]
[[b'Apple' b'Orange']
 [b'Potato' b'Tomato']]
[[[5]
  [6]
  [7]]

 [[4]
  [3]
  [2]]]
[[12.]]
20000
[[22. 28.]
 [49. 64.]]
[[1. 2.]]
[[11.]]
0
1
2
3
True
"""


def test_basics_program_prints_what_the_slides_show():
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "basics.py")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == EXPECTED
