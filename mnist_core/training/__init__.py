"""Training: the engine, the job that outlives the page, estimates and fine-tuning.

training_set (what a run fits, from its TrainConfig, and nothing else builds one), engine
(fitting the MLP from a TrainConfig), drawn_cache (re-drawn training digits kept on
disk), finetune (teaching the model in use the class's drawings), estimate (how long a run
takes), jobs (one training at a time, in its own process, stoppable), progress (what a run
reports as it goes), quality (scores on re-drawn digits and real writers), workflow (train,
score and save a run in one call).

May import: every part below it: the shared modules, mnist_core.reading, data, runs and
classroom.
"""
