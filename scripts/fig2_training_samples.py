"""Fig. 2: three training samples of the run's task (noisy inputs, delayed targets)."""
from flipflop.figures import save_figure, training_samples
from flipflop.report import script_args

args = script_args(__doc__)
task = args.analyses[0].task
print(save_figure(training_samples(task.generate(3, seed=0), task.dt_ms), args.out / "fig2_training_samples",
                  args.formats))
