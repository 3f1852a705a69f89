// Profile names and the integer ids the kernels use.
import type { NativeProfile } from '../../binding';
import type { Profile } from '../types';
import { PROFILES } from '../types';
import { enumArg } from '../validate';

export function profileArg(fn: string, arg: string, value: unknown): Profile {
  return enumArg(fn, arg, value, PROFILES, 'tflite-ref');
}

export function profileId(profile: Profile): NativeProfile {
  return profile === 'tflite-ref' ? 0 : profile === 'tflite-single' ? 1 : 2;
}
