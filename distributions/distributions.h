// Everything of aime::distributions in one include.
#pragma once
#include "distributions/bernoulli.h"
#include "distributions/distribution.h"
#include "distributions/gaussian_likelihood.h"
#include "distributions/independent.h"
#include "distributions/kl.h"
#include "distributions/normal.h"
#include "distributions/one_hot_categorical.h"
#include "distributions/std_param.h"
#include "distributions/tanh_normal.h"
