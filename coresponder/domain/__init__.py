"""The pure core: rules people argue about, with no Django import.

Plain dataclasses and enums in, plain values out; `now` is always a parameter.
"""
