"""The real county the demo is modelled on: 福建省漳州市南靖县, and what the demo invents around it.

Facts (source: National Bureau of Statistics, 统计用区划和城乡划分代码; the county code is also in
GB/T 2260):
- 福建省 35, 漳州市 3506, 南靖县 350627.
- 南靖县 has eleven township-level divisions, all towns (镇), coded 350627100 山城镇 (the county
  seat) to 350627110 南坑镇, listed below in code order.

Invented for the demo (not facts about 南靖县):
- Village names and their 12-digit codes. Names are composed from morphemes common in southern
  Fujian place names; codes follow the 统计用区划代码 pattern (township code + 3 digits, 200-399
  for villagers' committees).
- Coordinates: approximate township centres placed by hand (about 0.01°) so that travel times are
  plausible; they are not surveyed positions.
- Population shares, bed counts and every institution, practitioner and resident.
"""

from __future__ import annotations

from dataclasses import dataclass

PROVINCE = "福建省"
CITY = "漳州市"
CITY_CODE = "350600"
COUNTY = "南靖县"
COUNTY_CODE = "350627"
# Approximate centre of 山城镇 (the county seat) and of the city proper.
COUNTY_SEAT = (24.515, 117.357)
CITY_CENTRE = (24.513, 117.647)


@dataclass(frozen=True)
class Township:
    code: str
    name: str
    latitude: float
    longitude: float
    population_share: float  # share of the county's residents (demo figure)
    villages: int  # villages at the default size of 150 (demo figure)
    beds: int


TOWNSHIPS: tuple[Township, ...] = (
    Township("350627100", "山城镇", 24.515, 117.357, 0.22, 20, 80),
    Township("350627101", "丰田镇", 24.555, 117.405, 0.10, 14, 40),
    Township("350627102", "靖城镇", 24.470, 117.480, 0.12, 16, 60),
    Township("350627103", "龙山镇", 24.620, 117.385, 0.09, 13, 35),
    Township("350627104", "金山镇", 24.575, 117.255, 0.08, 12, 30),
    Township("350627105", "和溪镇", 24.795, 117.270, 0.07, 12, 45),
    Township("350627106", "奎洋镇", 24.700, 117.160, 0.06, 11, 25),
    Township("350627107", "梅林镇", 24.630, 117.040, 0.06, 11, 30),
    Township("350627108", "书洋镇", 24.627, 117.110, 0.07, 15, 50),
    Township("350627109", "船场镇", 24.500, 117.130, 0.07, 13, 35),
    Township("350627110", "南坑镇", 24.560, 117.180, 0.06, 13, 20),
)
assert len(TOWNSHIPS) == 11 and abs(sum(t.population_share for t in TOWNSHIPS) - 1) < 1e-9

# Morphemes of southern Fujian village names (坑 hollow, 洋 flat field, 厝 house, 坂 slope, 埔
# plain, 寮 hut, 墩 mound, 溪 stream …): a prefix and a suffix make names such as 石坑, 上洋, 龙美.
VILLAGE_PREFIXES = (
    "上", "下", "东", "西", "南", "北", "新", "大", "小", "石", "竹", "梅", "龙", "凤", "金",
    "玉", "高", "长", "福", "吉", "和", "丰", "安", "永", "田", "林", "湖", "溪", "山", "云",
    "水", "马", "鹤", "岭", "塔", "官", "双", "古", "葛", "枫", "荆", "樟", "松", "茶", "后",
    "前", "内", "坪", "圳", "河",
)  # fmt: skip
VILLAGE_SUFFIXES = (
    "坑", "洋", "厝", "坂", "埔", "寮", "墩", "溪", "山", "头", "尾", "美", "田", "林", "口",
    "岭", "湖", "塘", "庄", "坪", "洲", "峰", "楼", "亭", "桥", "园", "港", "丰", "阳", "仔",
)  # fmt: skip

# Surnames common in southern Fujian weigh more than their national frequency (a demo choice, so
# that the register looks like a Minnan county).
REGIONAL_SURNAME_WEIGHT = {
    "林": 4.0, "陈": 3.0, "黄": 2.5, "张": 1.5, "吴": 2.0, "郑": 2.0, "庄": 6.0, "简": 8.0,
    "萧": 4.0, "王": 1.0, "刘": 1.2, "李": 1.0, "蔡": 2.5, "杨": 1.2, "曾": 2.0, "戴": 2.5,
}  # fmt: skip
