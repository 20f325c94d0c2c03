"""One sampling request, one check and one vocabulary (issue 19): the rules the jobs, the pipelines, the
plugin and the CLI share."""

import pytest

from backend import choices
from backend.jobs import JobError, SamplingOptions
from backend.pipelines.errors import PipelineError
from backend.pipelines.request import SamplingRequest, check_inputs, make_generator


def test_check_inputs_normalises_the_request():
    checked = check_inputs(SamplingRequest(scheduler="DPM++", guidance=3), 64, 64, 8)
    assert checked.scheduler == "dpm++" and checked.steps == 25 and checked.guidance == 3.0
    assert SamplingRequest().guidance == choices.DEFAULT_GUIDANCE


@pytest.mark.parametrize("field, value, message", [
    ("guidance", 0.5, "guidance must be >= 1.0"),
    ("guidance", float("inf"), "guidance must be >= 1.0"),
    ("guidance", "much", "guidance must be a number"),
    ("steps", 0, "steps must be a positive whole number"),
    ("seed", -1, "seed must be a non-negative integer"),
    ("seed", 2**63, "seed must be a non-negative integer"),
])
def test_one_rule_in_the_pipeline_and_in_the_jobs(field, value, message):
    with pytest.raises(PipelineError, match=message):
        check_inputs(SamplingRequest(**{field: value}), 64, 64, 8)
    if field != "steps":
        with pytest.raises(JobError, match=message):
            SamplingOptions(**{field: value}).validate()


def test_unknown_sampling_option_is_named():
    with pytest.raises(TypeError, match="guidence"):
        SamplingRequest.from_options({"guidence": 2.0})


def test_size_must_be_a_multiple_of_the_vae_factor():
    with pytest.raises(PipelineError, match="multiple of 8"):
        check_inputs(SamplingRequest(), 60, 64, 8)


def test_the_one_seed_fallback():
    drawn = choices.choose_seed(None)
    assert 0 <= drawn < 2**31 and choices.choose_seed(7) == 7
    generator, seed = make_generator(None, None)
    assert 0 <= seed < 2**31 and generator.initial_seed() == seed
    with pytest.raises(PipelineError, match="either seed or generator"):
        make_generator(1, generator)


def test_the_model_recommendation_is_spelled_none_everywhere():
    assert choices.RECOMMENDED_GUIDANCE is None
    assert SamplingOptions().guidance is choices.RECOMMENDED_GUIDANCE
    SamplingOptions(guidance=choices.RECOMMENDED_GUIDANCE).validate()
