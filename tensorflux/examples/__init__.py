"""Example programs and the data helpers TF 1.x tutorials import (`tensorflow.examples`)."""
